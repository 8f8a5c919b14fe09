/*
 * fms-exec: start a program inside an agent's kernel fence.
 *
 *   fms-exec [-q] FD CMD [ARGS...]
 *
 * Reads the verified profile (format: runtime/native/README.md) from the
 * inherited descriptor FD, then, in this order: Landlock ruleset (paths opened
 * O_PATH, TCP ports, IPC scopes) -> PR_SET_NO_NEW_PRIVS -> landlock_restrict_self
 * -> close every descriptor above 2 -> seccomp filter with TSYNC -> execvp.
 * Any failure prints one line on stderr and exits before CMD runs:
 * 125 = the fence could not be set up, 126 = CMD cannot run, 127 = CMD not found.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define FLAG_SECCOMP 1u
#define FLAG_LANDLOCK 2u
#define MAX_PROFILE (1u << 20)
#define MAX_ABI 7

/* Our own copies of the uapi structs: Debian's headers may predate ABI 4/6. */
struct ll_ruleset_attr { uint64_t handled_access_fs, handled_access_net, scoped; };
struct ll_path_beneath_attr { uint64_t allowed_access; int32_t parent_fd; } __attribute__((packed));
struct ll_net_port_attr { uint64_t allowed_access; uint64_t port; };

/* Rights each ABI knows (index = ABI), and the rights that apply to a non-directory. */
static const uint64_t FS_BY_ABI[] = {0, 0x1fff, 0x3fff, 0x7fff, 0x7fff, 0xffff, 0xffff, 0xffff};
static const uint64_t NET_BY_ABI[] = {0, 0, 0, 0, 0x3, 0x3, 0x3, 0x3};
static const uint64_t SCOPE_BY_ABI[] = {0, 0, 0, 0, 0, 0, 0x3, 0x3};
static const uint64_t FS_FILE_RIGHTS = 0x1 | 0x2 | 0x4 | 0x4000 | 0x8000;

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("fms-exec: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

/* A bounded cursor over the profile bytes: every read is checked. */
struct cur { const unsigned char *p; size_t left; };
static uint32_t u32(struct cur *c) {
  uint32_t v;
  if (c->left < 4) die(125, "profile is truncated");
  memcpy(&v, c->p, 4); /* little-endian on x86_64 and aarch64 */
  c->p += 4;
  c->left -= 4;
  return v;
}
static const unsigned char *take(struct cur *c, size_t n) {
  const unsigned char *p = c->p;
  if (c->left < n) die(125, "profile is truncated");
  c->p += n;
  c->left -= n;
  return p;
}

static unsigned char *read_all(int fd, size_t *len) {
  unsigned char *buf = malloc(MAX_PROFILE + 1);
  size_t n = 0;
  if (!buf) die(125, "out of memory");
  for (;;) {
    ssize_t r = read(fd, buf + n, MAX_PROFILE + 1 - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) die(125, "cannot read the profile from fd %d: %s", fd, strerror(errno));
    if (r == 0) break;
    n += (size_t)r;
    if (n > MAX_PROFILE) die(125, "profile is larger than %u bytes", MAX_PROFILE);
  }
  close(fd);
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  int quiet = 0, ai = 1;
  if (ai < argc && strcmp(argv[ai], "-q") == 0) quiet = 1, ai++;
  if (argc - ai < 2) die(125, "usage: fms-exec [-q] FD CMD [ARGS...]");
  char *end;
  long fd = strtol(argv[ai], &end, 10);
  if (*end || fd < 3 || fd > 1 << 20) die(125, "profile descriptor `%s` is not a number above 2", argv[ai]);
  char **cmd = argv + ai + 1;

  size_t len;
  unsigned char *buf = read_all((int)fd, &len);
  struct cur c = {buf, len};
  if (memcmp(take(&c, 4), "FMSX", 4) != 0) die(125, "profile does not start with FMSX");
  if (u32(&c) != 1) die(125, "profile version is not 1");
  uint32_t flags = u32(&c), min_abi = u32(&c);
  uint64_t handled_fs = u32(&c), handled_net = u32(&c), scoped = u32(&c);
  if (flags & ~(FLAG_SECCOMP | FLAG_LANDLOCK)) die(125, "profile has unknown flags 0x%x", flags);
  if ((flags & FLAG_LANDLOCK) && (min_abi < 1 || min_abi > MAX_ABI)) die(125, "profile minimum Landlock ABI %u is outside 1..%d", min_abi, MAX_ABI);

  int ruleset = -1, abi = 0;
  if (flags & FLAG_LANDLOCK) {
    abi = (int)syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (abi < 0) abi = 0;
    if (abi < (int)min_abi) die(125, "kernel Landlock ABI %d is below the profile's minimum %u: refusing to start", abi, min_abi);
    int a = abi > MAX_ABI ? MAX_ABI : abi;
    struct ll_ruleset_attr attr = {handled_fs & FS_BY_ABI[a], handled_net & NET_BY_ABI[a], scoped & SCOPE_BY_ABI[a]};
    size_t attr_size = a >= 6 ? 24 : a >= 4 ? 16 : 8;
    ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, attr_size, 0);
    if (ruleset < 0) die(125, "landlock_create_ruleset: %s", strerror(errno));
    uint32_t npaths = u32(&c);
    for (uint32_t i = 0; i < npaths; i++) {
      uint64_t access = u32(&c) & attr.handled_access_fs;
      uint32_t plen = u32(&c);
      if (plen == 0 || plen > 4095) die(125, "profile path %u has length %u", i, plen);
      char path[4096];
      memcpy(path, take(&c, plen), plen);
      path[plen] = 0;
      if (path[0] != '/' || strlen(path) != plen) die(125, "profile path %u is not absolute", i);
      int pfd = open(path, O_PATH | O_CLOEXEC);
      if (pfd < 0 && (errno == ENOENT || errno == ENOTDIR)) { /* nothing to grant there */
        if (!quiet) fprintf(stderr, "fms-exec: note: %s does not exist; nothing granted there\n", path);
        continue;
      }
      if (pfd < 0) die(125, "cannot open %s: %s", path, strerror(errno));
      struct stat st;
      if (fstat(pfd, &st) < 0) die(125, "cannot stat %s: %s", path, strerror(errno));
      if (!S_ISDIR(st.st_mode)) access &= FS_FILE_RIGHTS;
      struct ll_path_beneath_attr pb = {access, pfd};
      if (access && syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
        die(125, "landlock rule for %s: %s", path, strerror(errno));
      close(pfd);
    }
    uint32_t nports = u32(&c);
    for (uint32_t i = 0; i < nports; i++) {
      uint64_t access = u32(&c) & attr.handled_access_net;
      uint32_t port = u32(&c);
      if (port < 1 || port > 65535) die(125, "profile port %u is outside 1..65535", port);
      struct ll_net_port_attr np = {access, port};
      if (access && syscall(__NR_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0) < 0)
        die(125, "landlock rule for port %u: %s", port, strerror(errno));
    }
  } else {
    if (u32(&c) != 0 || u32(&c) != 0) die(125, "profile has Landlock rules but no Landlock flag");
  }
  uint32_t ninsns = u32(&c);
  if (ninsns > BPF_MAXINSNS) die(125, "seccomp program of %u instructions is too long", ninsns);
  const unsigned char *insns = take(&c, (size_t)ninsns * 8);
  if (c.left != 0) die(125, "profile has %zu trailing bytes", c.left);
  if (((flags & FLAG_SECCOMP) != 0) != (ninsns != 0)) die(125, "profile seccomp flag and program disagree");

  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die(125, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
  if (ruleset >= 0) {
    if (syscall(__NR_landlock_restrict_self, ruleset, 0) < 0) die(125, "landlock_restrict_self: %s", strerror(errno));
    close(ruleset);
  }

  struct sock_filter *filter = NULL;
  if (ninsns) {
    filter = malloc((size_t)ninsns * sizeof *filter);
    if (!filter) die(125, "out of memory");
    memcpy(filter, insns, (size_t)ninsns * 8);
  }
  if (!quiet) {
    if (flags & FLAG_LANDLOCK) fprintf(stderr, "fms-exec: landlock ABI %d (minimum %u), seccomp %s\n", abi, min_abi, ninsns ? "on" : "off");
    else fprintf(stderr, "fms-exec: profile off: no kernel fence\n");
  }
  free(buf);

  /* Close every inherited descriptor except stdin, stdout and stderr. */
  if (syscall(__NR_close_range, 3U, ~0U, 0U) < 0) {
    long max = sysconf(_SC_OPEN_MAX);
    for (long i = 3; i < (max > 0 && max < 1 << 20 ? max : 1 << 16); i++) close((int)i);
  }

  if (filter) {
    struct sock_fprog prog = {(unsigned short)ninsns, filter};
    if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
      die(125, "seccomp: %s", strerror(errno));
  }
  execvp(cmd[0], cmd);
  die(errno == ENOENT ? 127 : 126, "cannot run %s: %s", cmd[0], strerror(errno));
  return 126;
}
