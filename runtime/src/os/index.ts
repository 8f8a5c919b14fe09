/**
 * `@fms/runtime/os`: the kernel fence (DESIGN §6) as the pack carries it and
 * `fms-exec` applies it: the generated syscall tables, classic-BPF encoding
 * and disassembly, Landlock rights per ABI, the fence sections of the pack
 * (`writeFenceSections`, strict `readFenceSections`), the profile sent to the
 * loader on its pipe (`encodeExecProfile`) and a readable description.
 */
export * from './syscalls';
export * from './bpf';
export * from './landlock-abi';
export * from './profile';
export * from './describe';
