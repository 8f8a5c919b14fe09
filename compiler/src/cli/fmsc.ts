// `fmsc` from the sources (tsx). The bundled CLI (`dist/fmsc.mjs`) calls the
// same `main` through dist/fms-boot.mjs.
import { main } from './fmsc-main';

await main(process.argv);
