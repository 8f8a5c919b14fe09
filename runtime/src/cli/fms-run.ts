// `fms-run` from the sources (tsx) and for `runtime/scripts/pack.mjs`. The
// bundled CLI (`dist/fms-run.mjs`) calls the same `main` through dist/fms-boot.mjs.
import { main } from './fms-run-main';

await main(process.argv);
