/* Sockets on loopback, single-threaded and deterministic (connect to a listening loopback socket
 * completes from the backlog before accept): TCP over 127.0.0.1 and ::1 with send/recv and
 * sendmsg/recvmsg over several iovecs, UDP sendto/recvfrom and sendmmsg/recvmmsg, UNIX stream
 * sockets at a path and in the abstract namespace, descriptor passing and credentials over a
 * socketpair, socket options, shutdown, and the usual errors. Ports and pids are never printed,
 * only compared. */
// build-flags: -pthread
#include "common.h"
#include <pthread.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

/* an address nothing is mapped at; volatile so the compiler does not see through it */
static void *volatile bad_ptr = (void *)1;
#define BAD bad_ptr

static const char *famname(int f) {
  return f == AF_INET ? "AF_INET" : f == AF_INET6 ? "AF_INET6" : f == AF_UNIX ? "AF_UNIX" : "other";
}

static int port_of(const struct sockaddr_storage *ss) {
  if (ss->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)ss)->sin_port);
  if (ss->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
  return -1;
}

static socklen_t loopback(int fam, struct sockaddr_storage *ss, int port) {
  memset(ss, 0, sizeof *ss);
  if (fam == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET; a->sin_port = htons(port); a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *a;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6; a->sin6_port = htons(port); a->sin6_addr = in6addr_loopback;
  return sizeof *a;
}

static int readable(int fd, int ms) {
  struct pollfd p = { fd, POLLIN, 0 };
  return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* reads exactly n bytes (stream sockets may split) */
static int read_all(int fd, char *buf, int n) {
  int got = 0;
  while (got < n) {
    if (!readable(fd, 5000)) return -1;
    ssize_t r = recv(fd, buf + got, n - got, 0);
    if (r <= 0) return -1;
    got += r;
  }
  return got;
}

static volatile sig_atomic_t pipes;
static void on_pipe(int sig) { (void)sig; pipes++; }

static void tcp(int fam) {
  char tag[64];
  printf("-- tcp %s\n", famname(fam));
  int s = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
  check("socket", s >= 0);
  check("SOCK_CLOEXEC gives FD_CLOEXEC", fcntl(s, F_GETFD) == FD_CLOEXEC);
  int one = 1, v = 0;
  socklen_t vl = sizeof v;
  check("SO_REUSEADDR set", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  check("SO_REUSEADDR get", getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &vl) == 0 && v != 0 && vl == sizeof v);
  struct sockaddr_storage sa, ca, pa, tmp;
  socklen_t sl = loopback(fam, &sa, 0), l;
  check("bind port 0", bind(s, (struct sockaddr *)&sa, sl) == 0);
  l = sizeof sa;
  check("getsockname", getsockname(s, (struct sockaddr *)&sa, &l) == 0 && l == sl);
  printf("bound family %s, port assigned: %s\n", famname(sa.ss_family), port_of(&sa) > 0 ? "yes" : "no");
  int port = port_of(&sa);
  check("listen", listen(s, 4) == 0);
  check("listening socket not readable yet", !readable(s, 0));
  int c = socket(fam, SOCK_STREAM, 0);
  check("connect", connect(c, (struct sockaddr *)&sa, sl) == 0);
  check("poll on listening socket: POLLIN", readable(s, 5000));
  l = sizeof pa;
  int a = accept4(s, (struct sockaddr *)&pa, &l, SOCK_NONBLOCK);
  check("accept4", a >= 0);
  check("accepted fd is not close-on-exec", fcntl(a, F_GETFD) == 0);
  check("SOCK_NONBLOCK gives O_NONBLOCK", (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  printf("peer address family %s, length matches: %s\n", famname(pa.ss_family), l == sl ? "yes" : "no");
  l = sizeof ca;
  check("client getsockname", getsockname(c, (struct sockaddr *)&ca, &l) == 0);
  check("peer port from accept == client's own port", port_of(&pa) == port_of(&ca));
  l = sizeof tmp;
  check("client getpeername port == server port", getpeername(c, (struct sockaddr *)&tmp, &l) == 0 && port_of(&tmp) == port);
  l = sizeof tmp;
  check("accepted getsockname port == server port", getsockname(a, (struct sockaddr *)&tmp, &l) == 0 && port_of(&tmp) == port);
  l = 4; /* a short buffer: truncated, real length reported */
  check("getsockname short buffer reports full length", getsockname(a, (struct sockaddr *)&tmp, &l) == 0 && l == sl);

  check("TCP_NODELAY set", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
  v = 0; vl = sizeof v;
  check("TCP_NODELAY get", getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl) == 0 && v == 1);

  char buf[64];
  result("send hello", send(c, "hello", 5, 0));
  memset(buf, 0, sizeof buf);
  check("recv hello", read_all(a, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0);
  errno = 0;
  expect_err("recv on empty nonblocking socket", recv(a, buf, sizeof buf, 0), EAGAIN);
  int nread = -1;
  result("send 3 bytes", send(c, "abc", 3, 0));
  readable(a, 5000);
  check("FIONREAD", ioctl(a, FIONREAD, &nread) == 0 && nread == 3);
  check("recv abc", read_all(a, buf, 3) == 3);

  struct iovec out[3] = { { "one,", 4 }, { "two,", 4 }, { "three", 5 } };
  struct msghdr m = { 0 };
  m.msg_iov = out; m.msg_iovlen = 3;
  result("sendmsg 3 iovecs", sendmsg(a, &m, 0));
  char b1[6], b2[20];
  memset(b1, 0, sizeof b1); memset(b2, 0, sizeof b2);
  int got = 0;
  while (got < 13) {
    struct iovec in[2] = { { b1, 5 }, { b2, 19 } };
    /* continue where the last piece ended */
    if (got >= 5) { in[0].iov_base = b2 + (got - 5); in[0].iov_len = 19 - (got - 5); }
    else { in[0].iov_base = b1 + got; in[0].iov_len = 5 - got; }
    struct msghdr r = { 0 };
    r.msg_iov = in; r.msg_iovlen = got >= 5 ? 1 : 2;
    if (!readable(c, 5000)) break;
    ssize_t n = recvmsg(c, &r, 0);
    if (n <= 0) break;
    if (got == 0) check("recvmsg flags 0, namelen 0", r.msg_flags == 0 && r.msg_namelen == 0);
    got += n;
  }
  printf("recvmsg 2 iovecs: '%.5s' '%s' (%d bytes)\n", b1, b2, got);

  check("shutdown(SHUT_WR)", shutdown(c, SHUT_WR) == 0);
  check("peer readable after shutdown", readable(a, 5000));
  result("peer reads EOF", recv(a, buf, sizeof buf, 0));
  signal(SIGPIPE, on_pipe);
  pipes = 0;
  expect_err("send after SHUT_WR, MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
  printf("SIGPIPE with MSG_NOSIGNAL: %d\n", (int)pipes);
  expect_err("send after SHUT_WR", send(c, "x", 1, 0), EPIPE);
  expect_err("write after SHUT_WR", write(c, "x", 1), EPIPE);
  printf("SIGPIPE without: %d\n", (int)pipes);
  signal(SIGPIPE, SIG_DFL);
  result("other direction still works", send(a, "back", 4, 0));
  check("read back", read_all(c, buf, 4) == 4 && memcmp(buf, "back", 4) == 0);

  errno = 0;
  snprintf(tag, sizeof tag, "accept on non-listening socket");
  expect_err(tag, accept(c, NULL, NULL), EINVAL);
  close(a); close(c); close(s);

  /* a port nobody listens on: bind one, note it, close it */
  int t = socket(fam, SOCK_STREAM, 0);
  sl = loopback(fam, &tmp, 0);
  bind(t, (struct sockaddr *)&tmp, sl);
  l = sizeof tmp;
  getsockname(t, (struct sockaddr *)&tmp, &l);
  close(t);
  t = socket(fam, SOCK_STREAM, 0);
  expect_err("connect to a closed port", connect(t, (struct sockaddr *)&tmp, l), ECONNREFUSED);
  close(t);
}

static void udp(int fam) {
  printf("-- udp %s\n", famname(fam));
  int u1 = socket(fam, SOCK_DGRAM, 0), u2 = socket(fam, SOCK_DGRAM, 0);
  struct sockaddr_storage a1, a2, from;
  socklen_t l1 = loopback(fam, &a1, 0), l2 = loopback(fam, &a2, 0), fl;
  check("bind both", bind(u1, (struct sockaddr *)&a1, l1) == 0 && bind(u2, (struct sockaddr *)&a2, l2) == 0);
  getsockname(u1, (struct sockaddr *)&a1, &l1);
  getsockname(u2, (struct sockaddr *)&a2, &l2);
  int rcv = 65536, got = 0;
  socklen_t gl = sizeof got;
  check("SO_RCVBUF set", setsockopt(u1, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) == 0);
  check("SO_RCVBUF get", getsockopt(u1, SOL_SOCKET, SO_RCVBUF, &got, &gl) == 0);
  printf("SO_RCVBUF >= requested: %s\n", got >= rcv ? "yes" : "no");

  result("sendto", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&a1, l1));
  char buf[64] = { 0 };
  fl = sizeof from;
  readable(u1, 5000);
  result("recvfrom", recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("payload '%s', sender family %s, sender port matches: %s, length matches: %s\n", buf, famname(from.ss_family),
         port_of(&from) == port_of(&a2) ? "yes" : "no", fl == l2 ? "yes" : "no");

  /* three datagrams at once each way */
  struct mmsghdr mm[3];
  struct iovec iv[3];
  const char *words[3] = { "alpha", "beta", "gamma!" };
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    iv[i].iov_base = (void *)words[i]; iv[i].iov_len = strlen(words[i]);
    mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_hdr.msg_name = &a1; mm[i].msg_hdr.msg_namelen = l1;
  }
  result("sendmmsg", sendmmsg(u2, mm, 3, 0));
  printf("sendmmsg msg_len: %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  char rb[3][16];
  struct sockaddr_storage names[3];
  memset(mm, 0, sizeof mm); memset(rb, 0, sizeof rb);
  for (int i = 0; i < 3; i++) {
    iv[i].iov_base = rb[i]; iv[i].iov_len = sizeof rb[i] - 1;
    mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1;
    mm[i].msg_hdr.msg_name = &names[i]; mm[i].msg_hdr.msg_namelen = sizeof names[i];
  }
  readable(u1, 5000);
  result("recvmmsg", recvmmsg(u1, mm, 3, 0, NULL));
  for (int i = 0; i < 3; i++)
    printf("  #%d len %u '%s' from port matches: %s, namelen matches: %s\n", i, mm[i].msg_len, rb[i],
           port_of(&names[i]) == port_of(&a2) ? "yes" : "no", mm[i].msg_hdr.msg_namelen == l2 ? "yes" : "no");
  struct timespec ts = { 0, 1000000 };
  expect_err("recvmmsg with nothing queued, 1 ms timeout, nonblocking", recvmmsg(u1, mm, 3, MSG_DONTWAIT, &ts), EAGAIN);
  close(u1); close(u2);
}

static void unix_stream(int abstract) {
  printf("-- unix stream %s\n", abstract ? "abstract" : "path");
  struct sockaddr_un su = { 0 }, got = { 0 };
  su.sun_family = AF_UNIX;
  socklen_t sl;
  if (abstract) {
    int n = snprintf(su.sun_path + 1, sizeof su.sun_path - 1, "km-net-test-%d", (int)getpid());
    sl = offsetof(struct sockaddr_un, sun_path) + 1 + n;
  } else {
    strcpy(su.sun_path, "net.sock");
    sl = offsetof(struct sockaddr_un, sun_path) + strlen(su.sun_path) + 1;
  }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  check("bind", bind(s, (struct sockaddr *)&su, sl) == 0);
  check("listen", listen(s, 2) == 0);
  socklen_t l = sizeof got;
  check("getsockname gives the bound name", getsockname(s, (struct sockaddr *)&got, &l) == 0 && l == sl && memcmp(&got, &su, sl) == 0);
  if (!abstract) check("socket file exists", access("net.sock", F_OK) == 0);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  check("connect", connect(c, (struct sockaddr *)&su, sl) == 0);
  int a = accept(s, NULL, NULL);
  check("accept", a >= 0);
  memset(&got, 0, sizeof got); l = sizeof got;
  check("getpeername of client is the server's name", getpeername(c, (struct sockaddr *)&got, &l) == 0 && l == sl && memcmp(&got, &su, sl) == 0);
  char buf[16] = { 0 };
  result("write", write(c, "unix!", 5));
  check("read", read_all(a, buf, 5) == 5 && strcmp(buf, "unix!") == 0);
  close(a); close(c); close(s);
  if (!abstract) check("unlink socket file", unlink("net.sock") == 0);
}

/* sends `n` fds with one data byte over socket sk */
static ssize_t send_fds(int sk, const int *fds, int n) {
  char ctl[CMSG_SPACE(4 * 4)];
  memset(ctl, 0, sizeof ctl);
  struct iovec iv = { "F", 1 };
  struct msghdr m = { 0 };
  m.msg_iov = &iv; m.msg_iovlen = 1;
  m.msg_control = ctl; m.msg_controllen = CMSG_SPACE(n * sizeof(int));
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(n * sizeof(int));
  memcpy(CMSG_DATA(cm), fds, n * sizeof(int));
  return sendmsg(sk, &m, 0);
}

static void pass_fds(void) {
  printf("-- socketpair and SCM_RIGHTS\n");
  int f = open("data.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(f, "contents of data.txt", 20);
  lseek(f, 0, SEEK_SET);
  int sv[2];
  check("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
  result("sendmsg SCM_RIGHTS", send_fds(sv[0], &f, 1));
  char ctl[CMSG_SPACE(sizeof(int))], c;
  struct iovec iv = { &c, 1 };
  struct msghdr m = { 0 };
  m.msg_iov = &iv; m.msg_iovlen = 1; m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  result("recvmsg", recvmsg(sv[1], &m, MSG_CMSG_CLOEXEC));
  struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
  int rfd = -1;
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
    memcpy(&rfd, CMSG_DATA(cm), sizeof rfd);
  check("one descriptor received", rfd >= 0);
  check("received fd is new", rfd != f && rfd != sv[0] && rfd != sv[1]);
  printf("msg_controllen %zu, flags %d\n", (size_t)m.msg_controllen, m.msg_flags);
  check("MSG_CMSG_CLOEXEC gives FD_CLOEXEC", fcntl(rfd, F_GETFD) == FD_CLOEXEC);
  char buf[32] = { 0 };
  result("read through received fd", read(rfd, buf, sizeof buf - 1));
  printf("read: '%s'\n", buf);
  close(rfd);

  /* three descriptors, room for one: the rest is dropped and MSG_CTRUNC set */
  int three[3] = { f, sv[0], f };
  result("sendmsg three fds", send_fds(sv[0], three, 3));
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv; m.msg_iovlen = 1; m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  result("recvmsg with room for one", recvmsg(sv[1], &m, 0));
  cm = CMSG_FIRSTHDR(&m);
  printf("MSG_CTRUNC: %s, descriptors in message: %d\n", (m.msg_flags & MSG_CTRUNC) ? "yes" : "no",
         cm ? (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int)) : 0);
  if (cm) { memcpy(&rfd, CMSG_DATA(cm), sizeof rfd); check("received fd without MSG_CMSG_CLOEXEC", fcntl(rfd, F_GETFD) == 0); close(rfd); }
  int next = dup(0);
  printf("next free fd is the one after the received one: %s\n", next == rfd ? "yes" : "no");
  close(next);

  /* a control area that cannot be written: data delivered, descriptors not, MSG_CTRUNC */
  char *rop = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  result("sendmsg fd for a read-only control area", send_fds(sv[0], &f, 1));
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv; m.msg_iovlen = 1; m.msg_control = rop; m.msg_controllen = 64;
  long rr = syscall(SYS_recvmsg, sv[1], &m, 0);
  result("recvmsg into a read-only control area", rr);
  printf("  MSG_CTRUNC: %s, msg_controllen %zu\n", (m.msg_flags & MSG_CTRUNC) ? "yes" : "no", (size_t)m.msg_controllen);
  next = dup(0);
  printf("  no descriptor was installed: %s\n", next == rfd ? "yes" : "no");
  close(next);
  munmap(rop, 4096);

  int badfd = 999;
  expect_err("sendmsg SCM_RIGHTS with a closed fd", send_fds(sv[0], &badfd, 1), EBADF);
  close(sv[0]); close(sv[1]); close(f);
  unlink("data.txt");
}

static void credentials(void) {
  printf("-- SCM_CREDENTIALS\n");
  int sv[2], one = 1;
  check("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
  check("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0);
  for (int explicit = 0; explicit < 2; explicit++) {
    char ctl[CMSG_SPACE(sizeof(struct ucred))];
    struct iovec iv = { "c", 1 };
    struct msghdr m = { 0 };
    m.msg_iov = &iv; m.msg_iovlen = 1;
    if (explicit) {
      memset(ctl, 0, sizeof ctl);
      m.msg_control = ctl; m.msg_controllen = sizeof ctl;
      struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
      cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_CREDENTIALS; cm->cmsg_len = CMSG_LEN(sizeof(struct ucred));
      struct ucred u = { getpid(), getuid(), getgid() };
      memcpy(CMSG_DATA(cm), &u, sizeof u);
    }
    result(explicit ? "sendmsg with own credentials" : "sendmsg", sendmsg(sv[0], &m, 0));
    char c;
    struct iovec ri = { &c, 1 };
    struct msghdr r = { 0 };
    r.msg_iov = &ri; r.msg_iovlen = 1; r.msg_control = ctl; r.msg_controllen = sizeof ctl;
    result("recvmsg", recvmsg(sv[1], &r, 0));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&r);
    struct ucred u = { 0 };
    int ok = cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS;
    if (ok) memcpy(&u, CMSG_DATA(cm), sizeof u);
    printf("credentials received: %s, pid == getpid(): %s, uid == getuid(): %s\n", ok ? "yes" : "no",
           u.pid == getpid() ? "yes" : "no", u.uid == getuid() ? "yes" : "no");
  }
  struct ucred pc;
  socklen_t pl = sizeof pc;
  check("SO_PEERCRED pid == getpid()", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &pl) == 0 && pc.pid == getpid());
  close(sv[0]); close(sv[1]);
}

/* blocking calls made while another thread runs: accept, recv with MSG_WAITALL and recvmsg
 * receiving a descriptor, each in a second thread */
static int tsrv, tpair[2];
static void *blocker(void *arg) {
  (void)arg;
  long ok = 0;
  int a = accept(tsrv, NULL, NULL);
  char buf[32] = { 0 };
  if (a >= 0 && recv(a, buf, 5, MSG_WAITALL) == 5 && send(a, buf, 5, 0) == 5) ok |= 1;
  char c, ctl[CMSG_SPACE(sizeof(int))];
  struct iovec iv = { &c, 1 };
  struct msghdr m = { 0 };
  m.msg_iov = &iv; m.msg_iovlen = 1; m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  if (recvmsg(tpair[1], &m, 0) == 1) {
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    int fd = -1;
    if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    memset(buf, 0, sizeof buf);
    if (fd >= 0 && pread(fd, buf, 8, 0) == 8 && memcmp(buf, "threaded", 8) == 0) ok |= 2;
    close(fd);
  }
  close(a);
  return (void *)ok;
}

static void threaded(void) {
  printf("-- blocking calls in a thread\n");
  struct sockaddr_storage sa;
  socklen_t sl = loopback(AF_INET, &sa, 0);
  tsrv = socket(AF_INET, SOCK_STREAM, 0);
  bind(tsrv, (struct sockaddr *)&sa, sl);
  getsockname(tsrv, (struct sockaddr *)&sa, &sl);
  listen(tsrv, 1);
  socketpair(AF_UNIX, SOCK_STREAM, 0, tpair);
  pthread_t t;
  check("pthread_create", pthread_create(&t, NULL, blocker, NULL) == 0);
  usleep(20000); /* most likely the thread is in accept now; the outcome is the same if not */
  int c = socket(AF_INET, SOCK_STREAM, 0);
  check("connect", connect(c, (struct sockaddr *)&sa, sl) == 0);
  char buf[8] = { 0 };
  result("send", send(c, "ping!", 5, 0));
  result("recv echo (MSG_WAITALL)", recv(c, buf, 5, MSG_WAITALL));
  printf("echo: '%s'\n", buf);
  int f = open("threaded.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
  write(f, "threaded", 8);
  usleep(20000);
  result("send fd to the thread", send_fds(tpair[0], &f, 1));
  void *ok = NULL;
  pthread_join(t, &ok);
  printf("thread: accept+recv+send %s, recvmsg fd and read through it %s\n", ((long)ok & 1) ? "ok" : "FAIL",
         ((long)ok & 2) ? "ok" : "FAIL");
  if ((long)ok != 3) failures++;
  close(f); unlink("threaded.txt");
  close(c); close(tsrv); close(tpair[0]); close(tpair[1]);
}

/* a signal reaching a thread blocked in accept: EINTR without SA_RESTART, a restarted accept
 * with it; SO_RCVTIMEO ends a blocking recv */
static volatile int accept_done, accept_ret, accept_errno, usr1s;
static void on_usr1(int sig) { (void)sig; usr1s++; }
static void *accepter(void *arg) {
  (void)arg;
  int r = accept(tsrv, NULL, NULL);
  accept_errno = r < 0 ? errno : 0;
  accept_ret = r;
  __atomic_store_n(&accept_done, 1, __ATOMIC_SEQ_CST);
  return NULL;
}

static void interrupted(void) {
  printf("-- signals and timeouts around blocking socket calls\n");
  struct sockaddr_storage sa;
  socklen_t sl = loopback(AF_INET, &sa, 0);
  tsrv = socket(AF_INET, SOCK_STREAM, 0);
  bind(tsrv, (struct sockaddr *)&sa, sl);
  getsockname(tsrv, (struct sockaddr *)&sa, &sl);
  listen(tsrv, 1);
  for (int restart = 0; restart < 2; restart++) {
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_usr1;
    act.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &act, NULL);
    accept_done = 0; usr1s = 0;
    pthread_t t;
    pthread_create(&t, NULL, accepter, NULL);
    int c = -1;
    /* until the thread's accept ends: signal it (a signal before it blocks is simply handled);
     * with SA_RESTART, connect once a few signals went by */
    for (int i = 0; i < 500 && !__atomic_load_n(&accept_done, __ATOMIC_SEQ_CST); i++) {
      pthread_kill(t, SIGUSR1);
      usleep(10000);
      if (restart && i == 5) { c = socket(AF_INET, SOCK_STREAM, 0); connect(c, (struct sockaddr *)&sa, sl); }
    }
    /* never hang: a connection ends an accept no signal could interrupt (and the output shows it) */
    if (!__atomic_load_n(&accept_done, __ATOMIC_SEQ_CST) && c < 0) { c = socket(AF_INET, SOCK_STREAM, 0); connect(c, (struct sockaddr *)&sa, sl); }
    pthread_join(t, NULL);
    if (restart) printf("accept with SA_RESTART: %s\n", accept_ret >= 0 ? "restarted and connected" : errname(accept_errno));
    else printf("accept without SA_RESTART: %d %s\n", accept_ret < 0 ? -1 : accept_ret, errname(accept_errno));
    printf("handler ran: %s\n", usr1s > 0 ? "yes" : "no");
    if (accept_ret >= 0) close(accept_ret);
    if (c >= 0) close(c);
  }
  signal(SIGUSR1, SIG_DFL);
  close(tsrv);

  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct timeval tv = { 0, 50000 };
  check("SO_RCVTIMEO 50 ms", setsockopt(u, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0);
  char buf[4];
  expect_err("blocking recv times out", recv(u, buf, sizeof buf, 0), EAGAIN);
  close(u);
}

/* a classic BPF socket filter: the program is behind a pointer in struct sock_fprog (declared
 * here: musl's toolchain has no kernel headers) */
struct cbpf_insn { unsigned short code; unsigned char jt, jf; unsigned int k; };
struct cbpf_prog { unsigned short len; struct cbpf_insn *filter; };
#ifndef SO_ATTACH_FILTER
#define SO_ATTACH_FILTER 26
#define SO_DETACH_FILTER 27
#endif
#ifndef SO_GET_FILTER
#define SO_GET_FILTER SO_ATTACH_FILTER
#endif
#define CBPF_RET_K 0x06

static void filters(void) {
  printf("-- socket filters\n");
  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_storage a1;
  socklen_t l1 = loopback(AF_INET, &a1, 0);
  bind(u1, (struct sockaddr *)&a1, l1);
  getsockname(u1, (struct sockaddr *)&a1, &l1);
  struct cbpf_insn drop[] = { { CBPF_RET_K, 0, 0, 0 } };
  struct cbpf_prog prog = { 1, drop };
  check("SO_ATTACH_FILTER drop-all", setsockopt(u1, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) == 0);
  struct cbpf_insn back[4];
  socklen_t n = 4;
  check("SO_GET_FILTER gives one instruction", getsockopt(u1, SOL_SOCKET, SO_GET_FILTER, back, &n) == 0 && n == 1);
  sendto(u2, "dropped", 7, 0, (struct sockaddr *)&a1, l1);
  char buf[16];
  expect_err("datagram filtered out", recv(u1, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
  check("SO_DETACH_FILTER", setsockopt(u1, SOL_SOCKET, SO_DETACH_FILTER, &n, sizeof(int)) == 0);
  sendto(u2, "kept", 4, 0, (struct sockaddr *)&a1, l1);
  readable(u1, 5000);
  result("datagram after detaching", recv(u1, buf, sizeof buf, MSG_DONTWAIT));
  struct cbpf_prog badprog = { 1, BAD };
  expect_err("SO_ATTACH_FILTER bad program pointer", setsockopt(u1, SOL_SOCKET, SO_ATTACH_FILTER, &badprog, sizeof badprog), EFAULT);
  close(u1); close(u2);
}

static void interfaces(void) {
  printf("-- interface ioctls\n");
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq r;
  memset(&r, 0, sizeof r);
  strcpy(r.ifr_name, "lo");
  check("SIOCGIFINDEX lo", ioctl(s, SIOCGIFINDEX, &r) == 0 && r.ifr_ifindex >= 1);
  int idx = r.ifr_ifindex;
  check("if_nametoindex agrees", (int)if_nametoindex("lo") == idx);
  memset(&r, 0, sizeof r);
  r.ifr_ifindex = idx;
  check("SIOCGIFNAME gives lo", ioctl(s, SIOCGIFNAME, &r) == 0 && strcmp(r.ifr_name, "lo") == 0);
  check("SIOCGIFFLAGS", ioctl(s, SIOCGIFFLAGS, &r) == 0);
  printf("SIOCGIFFLAGS lo: %s, %s\n", (r.ifr_flags & IFF_UP) ? "up" : "down", (r.ifr_flags & IFF_LOOPBACK) ? "loopback" : "not loopback");
  int q = -1;
  check("SIOCOUTQ on an idle socket", ioctl(s, TIOCOUTQ, &q) == 0 && q == 0);
  expect_err("SIOCGIFINDEX bad pointer", ioctl(s, SIOCGIFINDEX, BAD), EFAULT);
  strcpy(r.ifr_name, "km-no-such-if");
  expect_err("SIOCGIFINDEX unknown interface", ioctl(s, SIOCGIFINDEX, &r), ENODEV);
  close(s);
}

static void errors(void) {
  printf("-- errors\n");
  struct sockaddr_in sa = { 0 };
  sa.sin_family = AF_INET; sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof sa;
  int f = open(".", O_RDONLY | O_DIRECTORY);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  int v = 0;
  char buf[8];
  expect_err("send on fd -1", send(-1, "x", 1, 0), EBADF);
  expect_err("bind on closed fd", bind(999, (struct sockaddr *)&sa, l), EBADF);
  expect_err("getsockname on a directory fd", getsockname(f, (struct sockaddr *)&sa, &l), ENOTSOCK);
  expect_err("listen on a directory fd", listen(f, 1), ENOTSOCK);
  expect_err("socket bad family", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
  expect_err("socket bad type flags", socket(AF_INET, SOCK_STREAM | 0x100000, 0), EINVAL);
  expect_err("socketpair bad sv", socketpair(AF_UNIX, SOCK_STREAM, 0, BAD), EFAULT);
  expect_err("bind bad address pointer", bind(s, BAD, sizeof sa), EFAULT);
  expect_err("bind address too long", bind(s, (struct sockaddr *)&sa, 200), EINVAL);
  expect_err("connect bad address pointer", connect(s, BAD, sizeof sa), EFAULT);
  expect_err("getsockname bad addrlen pointer", getsockname(s, (struct sockaddr *)&sa, BAD), EFAULT);
  l = sizeof sa;
  expect_err("getsockname bad address pointer", getsockname(s, BAD, &l), EFAULT);
  l = (socklen_t)-1;
  expect_err("getsockname negative addrlen", getsockname(s, (struct sockaddr *)&sa, &l), EINVAL);
  expect_err("getsockopt NULL optlen", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, NULL), EFAULT);
  socklen_t ol = sizeof v;
  expect_err("getsockopt bad optval", getsockopt(s, SOL_SOCKET, SO_TYPE, BAD, &ol), EFAULT);
  expect_err("setsockopt negative optlen", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, -1), EINVAL);
  expect_err("setsockopt bad optval", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, BAD, sizeof v), EFAULT);
  expect_err("getsockopt unknown option", getsockopt(s, SOL_SOCKET, 12345, &v, &ol), ENOPROTOOPT);
  ol = sizeof v;
  check("getsockopt SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &ol) == 0 && v == SOCK_DGRAM);
  struct sockaddr_in self;
  socklen_t sl = sizeof self;
  bind(s, (struct sockaddr *)&sa, sizeof sa);
  getsockname(s, (struct sockaddr *)&self, &sl);
  expect_err("sendto bad buffer", sendto(s, BAD, 4, 0, (struct sockaddr *)&self, sl), EFAULT);
  expect_err("recvfrom nonblocking, nothing queued", recvfrom(s, buf, sizeof buf, MSG_DONTWAIT, NULL, NULL), EAGAIN);
  /* raw calls: musl copies the msghdr in user space first */
  expect_err("recvmsg bad msghdr", syscall(SYS_recvmsg, s, BAD, MSG_DONTWAIT), EFAULT);
  expect_err("sendmsg bad msghdr", syscall(SYS_sendmsg, s, BAD, 0), EFAULT);
  struct iovec iv = { BAD, 4 };
  struct msghdr m = { 0 };
  m.msg_name = &self; m.msg_namelen = sl; m.msg_iov = &iv; m.msg_iovlen = 1;
  expect_err("sendmsg bad iovec buffer", sendmsg(s, &m, 0), EFAULT);
  m.msg_iov = BAD;
  expect_err("sendmsg bad iovec array", sendmsg(s, &m, 0), EFAULT);
  m.msg_iovlen = 2000;
  expect_err("sendmsg too many iovecs", sendmsg(s, &m, 0), EMSGSIZE);
  m.msg_iov = &iv; m.msg_iovlen = 1; iv.iov_base = buf;
  m.msg_control = BAD; m.msg_controllen = 32;
  expect_err("sendmsg bad control pointer", syscall(SYS_sendmsg, s, &m, 0), EFAULT);
  char ctl[32] = { 0 };
  struct cmsghdr *cm = (struct cmsghdr *)ctl;
  cm->cmsg_len = 100; cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS;
  m.msg_control = ctl; m.msg_controllen = sizeof ctl;
  expect_err("sendmsg cmsg_len beyond the control area", sendmsg(s, &m, 0), EINVAL);
  expect_err("shutdown unconnected", shutdown(s, SHUT_RDWR), ENOTCONN);
  expect_err("shutdown bad how", shutdown(s, 7), EINVAL);
  int t = socket(AF_INET, SOCK_STREAM, 0);
  expect_err("accept4 bad flags", accept4(t, NULL, NULL, 0x1234), EINVAL);
  expect_err("accept on unbound stream socket", accept(t, NULL, NULL), EINVAL);
  expect_err("send on unconnected stream socket", send(t, "x", 1, MSG_NOSIGNAL), EPIPE);
  close(t); close(s); close(f);
}

/* "net sweep": every socket call with arguments drawn (fixed-seed) from bad and edge values:
 * NULL, unmapped, kernel and read-only pointers, a buffer that ends at an inaccessible page,
 * negative and huge lengths, closed and non-socket descriptors, and msghdrs built from the same.
 * Everything is nonblocking. Each call's result is printed, so native and km must agree. */
static uint64_t seed = 0x4b4d6e6574ULL;
static uint64_t rnd(void) { seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; return seed >> 33; }
#define PICK(arr) (arr[rnd() % (sizeof arr / sizeof arr[0])])

static int sweep(void) {
  char *area = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  mprotect(area + 4096, 4096, PROT_NONE);
  mprotect(area + 8192, 4096, PROT_READ);
  char *buf = area + 2048, *edge = area + 4096 - 6, *ro = area + 8192;
  static char hdrs[2][4096];
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in lo = { 0 };
  lo.sin_family = AF_INET; lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(udp, (struct sockaddr *)&lo, sizeof lo);
  int sp[2];
  socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sp);
  int tcp = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int fds[] = { -1, 999, dir, udp, sp[0], sp[1], tcp };
  void *ptrs[] = { NULL, (void *)1, (void *)0x7ffffffff000, (void *)0xffff800000000000, ro, edge, buf, buf };
  long lens[] = { 0, 4, 16, 28, 110, 128, 129, 4096, -1, 1L << 40 };
  int levels[][2] = { { SOL_SOCKET, SO_RCVBUF }, { SOL_SOCKET, SO_TYPE }, { SOL_SOCKET, SO_ATTACH_FILTER }, { SOL_SOCKET, SO_PEERCRED },
                      { IPPROTO_IP, IP_TOS }, { IPPROTO_TCP, TCP_INFO }, { SOL_SOCKET, SO_LINGER }, { 12345, 1 } };
  for (int i = 0; i < 3000; i++) {
    memset(buf, 0, 2048);
    if (rnd() % 2) { /* an AF_INET loopback address with a port of ours or none */
      memcpy(buf, &lo, sizeof lo);
    }
    /* a msghdr built from the same values, with an iovec and a control area */
    struct msghdr *m = (struct msghdr *)hdrs[i & 1];
    memset(m, 0, sizeof *m);
    struct iovec *iv = (struct iovec *)(hdrs[i & 1] + 256);
    iv[0].iov_base = PICK(ptrs); iv[0].iov_len = PICK(lens);
    iv[1].iov_base = buf + 1024; iv[1].iov_len = 8;
    m->msg_name = PICK(ptrs); m->msg_namelen = PICK(lens);
    m->msg_iov = rnd() % 4 ? iv : PICK(ptrs); m->msg_iovlen = rnd() % 5 ? (rnd() % 3) : 2000;
    char *ctl = hdrs[i & 1] + 1024;
    if (rnd() % 2) {
      struct cmsghdr *cm = (struct cmsghdr *)ctl;
      int nfd = rnd() % 3;
      cm->cmsg_level = rnd() % 4 ? SOL_SOCKET : IPPROTO_IP; cm->cmsg_type = rnd() % 3 ? SCM_RIGHTS : SCM_CREDENTIALS;
      cm->cmsg_len = rnd() % 5 ? (size_t)CMSG_LEN(nfd * sizeof(int)) : (size_t)PICK(lens);
      for (int k = 0; k < nfd; k++) { int f = PICK(fds); memcpy(CMSG_DATA(cm) + 4 * k, &f, 4); }
      m->msg_control = ctl; m->msg_controllen = rnd() % 4 ? (size_t)CMSG_SPACE(nfd * sizeof(int)) : (size_t)PICK(lens);
    } else {
      m->msg_control = PICK(ptrs); m->msg_controllen = PICK(lens);
    }
    void *msg = rnd() % 4 ? (void *)m : PICK(ptrs);
    int fd = PICK(fds), which = rnd() % 18;
    void *p1 = PICK(ptrs), *p2 = PICK(ptrs);
    long l1 = PICK(lens), l2 = PICK(lens);
    socklen_t sl = (socklen_t)l2;
    void *lp = rnd() % 3 ? (void *)&sl : PICK(ptrs);
    int *lv = rnd() % 4 ? levels[rnd() % 8] : levels[0];
    long r;
    switch (which) {
    case 0: r = syscall(SYS_socket, PICK(fds) & 15, (int)(rnd() % 7) | SOCK_NONBLOCK, 0); break;
    case 1: r = syscall(SYS_bind, fd, p1, l1); break;
    case 2: r = syscall(SYS_connect, fd, p1, l1); break;
    case 3: r = syscall(SYS_listen, fd, 1); break;
    case 4: r = syscall(SYS_accept4, fd, p1, lp, SOCK_NONBLOCK); break;
    case 5: r = syscall(SYS_getsockname, fd, p1, lp); break;
    case 6: r = syscall(SYS_getpeername, fd, p1, lp); break;
    case 7: r = syscall(SYS_sendto, fd, p1, l1, MSG_DONTWAIT | MSG_NOSIGNAL, p2, l2); break;
    case 8: r = syscall(SYS_recvfrom, fd, p1, l1, MSG_DONTWAIT, p2, lp); break;
    case 9: r = syscall(SYS_sendmsg, fd, msg, MSG_DONTWAIT | MSG_NOSIGNAL); break;
    case 10: r = syscall(SYS_recvmsg, fd, msg, MSG_DONTWAIT | (rnd() % 2 ? MSG_CMSG_CLOEXEC : 0)); break;
    case 11: r = syscall(SYS_setsockopt, fd, lv[0], lv[1], p1, l1); break;
    case 12: r = syscall(SYS_getsockopt, fd, lv[0], lv[1], p1, lp); break;
    case 13: r = syscall(SYS_shutdown, fd, (int)(rnd() % 4)); break;
    case 14: r = syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, rnd() % 2 ? (void *)sp : p1); break;
    case 15: r = syscall(SYS_sendmmsg, fd, msg, (unsigned)(rnd() % 3), MSG_DONTWAIT | MSG_NOSIGNAL); break;
    case 16: r = syscall(SYS_recvmmsg, fd, msg, (unsigned)(rnd() % 3), MSG_DONTWAIT, rnd() % 2 ? NULL : p2); break;
    default: r = syscall(SYS_ioctl, fd, rnd() % 2 ? FIONREAD : SIOCGIFINDEX, p1); break;
    }
    int e = r < 0 ? errno : 0;
    if (getenv("NET_SWEEP_VERBOSE")) /* the arguments, for finding a difference */
      fprintf(stderr, "#%d fd=%d p1=%p l1=%ld p2=%p l2=%ld lp=%p msg=%p{name=%p/%u iov=%p/%zu [%p/%zu] ctl=%p/%zu}\n", i, fd, p1, l1, p2, l2, lp,
              msg, m->msg_name, m->msg_namelen, (void *)m->msg_iov, (size_t)m->msg_iovlen, iv[0].iov_base, iv[0].iov_len, m->msg_control,
              (size_t)m->msg_controllen);
    /* a new descriptor: close it again so the fd set stays small (and compare the number) */
    if (r > 2 && (which == 0 || which == 4)) close(r);
    printf("%d %d %ld %s\n", i, which, r < 0 ? -1 : r, errname(e));
  }
  printf("sweep done\n");
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && strcmp(argv[1], "sweep") == 0) return sweep();
  tcp(AF_INET);
  tcp(AF_INET6);
  udp(AF_INET);
  udp(AF_INET6);
  unix_stream(0);
  unix_stream(1);
  pass_fds();
  credentials();
  threaded();
  interrupted();
  filters();
  interfaces();
  errors();
  return finish();
}
