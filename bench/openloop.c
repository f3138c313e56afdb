// openloop: a small HTTP/1.1 load client for bench/run and bench/callgrind (wrk2 is not packaged).
//
// Open loop (--rate R > 0): request i is *intended* at start + i/R, whether or not earlier
// requests have answered; it goes out on the first idle keep-alive connection (or waits in a
// queue when all --connections are busy) and its latency is measured from the intended time, so
// a stalled server cannot hide its stall by slowing the client down (no coordinated omission).
// Requests intended during the first --warmup seconds are sent but not recorded.
//
// Closed loop (--rate 0): one connection, exactly --count requests, one after another (used to
// count instructions per request under callgrind).
//
// Bodies: a file from bench/gen_bodies.py, `<hex HMAC-SHA512>\t<body>` per line, sent in order
// (cycling after the last line), header x-bitnob-signature.
//
//   cc -O2 -o openloop bench/openloop.c
//   openloop --port 8080 --bodies FILE --rate 5000 --duration 60 --warmup 5 --connections 128
//   openloop --port 8080 --bodies FILE --rate 0 --count 2000
//
// Prints one line: OPENLOOP sent=.. recorded=.. ok=.. non2xx=.. sockerr=.. p50_us=.. p90_us=..
// p99_us=.. p999_us=.. max_us=.. achieved_rps=.. max_send_lag_us=..
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct { char *data; size_t len; } req_t;

enum { C_DOWN, C_IDLE, C_BUSY };

typedef struct {
    int fd;
    int state;
    const req_t *req;
    size_t sent;
    int64_t intended_ns;
    int64_t index;
    char *in;
    size_t in_len, in_cap;
} conn_t;

static const char *host = "127.0.0.1";
static int port = 8080;
static const char *path = "/webhooks/bitnob";
static const char *bodies_path;
static double rate = 5000, duration = 60, warmup = 0;
static int nconns = 128;
static int64_t count = 2000;

static req_t *reqs;
static size_t nreqs;
static struct sockaddr_in addr;
static int ep;

static uint32_t *lat_us;
static int64_t recorded, ok2xx, non2xx, sockerr, completed;
static int64_t max_send_lag_ns;

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *m) { perror(m); exit(2); }

static void load_bodies(void) {
    FILE *f = fopen(bodies_path, "r");
    if (!f) die(bodies_path);
    size_t cap = 1024;
    reqs = malloc(cap * sizeof *reqs);
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    char hostport[128];
    snprintf(hostport, sizeof hostport, "%s:%d", host, port);
    while ((n = getline(&line, &lcap, f)) > 0) {
        if (line[n - 1] == '\n') line[--n] = 0;
        char *tab = strchr(line, '\t');
        if (!tab) continue;
        *tab = 0;
        const char *sig = line, *body = tab + 1;
        size_t blen = strlen(body);
        if (nreqs == cap) reqs = realloc(reqs, (cap *= 2) * sizeof *reqs);
        size_t rcap = blen + 512;
        char *r = malloc(rcap);
        int hl = snprintf(r, rcap,
                          "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                          "x-bitnob-signature: %s\r\nContent-Length: %zu\r\n\r\n",
                          path, hostport, sig, blen);
        memcpy(r + hl, body, blen);
        reqs[nreqs].data = r;
        reqs[nreqs].len = hl + blen;
        nreqs++;
    }
    free(line);
    fclose(f);
    if (!nreqs) { fprintf(stderr, "openloop: no bodies in %s\n", bodies_path); exit(2); }
}

static void conn_open(conn_t *c) {
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(c->fd);
        c->fd = -1;
        c->state = C_DOWN;
        return;
    }
    fcntl(c->fd, F_SETFL, O_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->state = C_IDLE;
    c->in_len = 0;
}

static void conn_close(conn_t *c) {
    if (c->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_DOWN;
}

static void record(conn_t *c, int status_ok, int status_known) {
    int64_t t = now_ns();
    completed++;
    if (!status_known) sockerr++;
    else if (status_ok) ok2xx++;
    else non2xx++;
    if (c->intended_ns >= 0) {
        int64_t us = (t - c->intended_ns) / 1000;
        if (us < 0) us = 0;
        if (us > UINT32_MAX) us = UINT32_MAX;
        lat_us[recorded++] = (uint32_t)us;
    }
}

static void try_write(conn_t *c) {
    while (c->sent < c->req->len) {
        ssize_t w = write(c->fd, c->req->data + c->sent, c->req->len - c->sent);
        if (w > 0) { c->sent += w; continue; }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
            return;
        }
        record(c, 0, 0);
        conn_close(c);
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void send_on(conn_t *c, int64_t index, int64_t intended_ns, int record_it) {
    c->req = &reqs[index % nreqs];
    c->sent = 0;
    c->index = index;
    c->intended_ns = record_it ? intended_ns : -1;
    c->state = C_BUSY;
    c->in_len = 0;
    try_write(c);
}

// Returns 1 when a whole response is in c->in (and consumes it), 0 when more is needed.
static int parse_response(conn_t *c, int *status_ok, int *close_after) {
    if (c->in_len < 12) return 0;
    char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    if (!end) return 0;
    size_t hlen = end - c->in + 4;
    int status = atoi(c->in + 9);
    long clen = -1;
    int chunked = 0;
    *close_after = 0;
    for (char *p = c->in; p < end;) {
        char *eol = memmem(p, end + 2 - p, "\r\n", 2);
        if (!eol) break;
        if (!strncasecmp(p, "content-length:", 15)) clen = strtol(p + 15, NULL, 10);
        else if (!strncasecmp(p, "transfer-encoding:", 18) && strcasestr(p, "chunked") && strcasestr(p, "chunked") < eol) chunked = 1;
        else if (!strncasecmp(p, "connection:", 11) && strcasestr(p, "close") && strcasestr(p, "close") < eol) *close_after = 1;
        p = eol + 2;
    }
    size_t total;
    if (clen >= 0) {
        total = hlen + clen;
        if (c->in_len < total) return 0;
    } else if (chunked) {
        char *z = memmem(c->in + hlen - 2, c->in_len - hlen + 2, "\r\n0\r\n\r\n", 7);
        if (!z) return 0;
        total = (z - c->in) + 7;
    } else {
        total = hlen;
    }
    *status_ok = status >= 200 && status < 300;
    memmove(c->in, c->in + total, c->in_len - total);
    c->in_len -= total;
    return 1;
}

// Handles readability; returns 1 when the connection finished a request and is idle again.
static int on_readable(conn_t *c) {
    for (;;) {
        if (c->in_cap - c->in_len < 4096) c->in = realloc(c->in, c->in_cap = c->in_cap * 2 + 8192);
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
        if (r > 0) { c->in_len += r; continue; }
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        // EOF or error
        if (c->state == C_BUSY) {
            int ok, cl;
            if (parse_response(c, &ok, &cl)) record(c, ok, 1);
            else record(c, 0, 0);
        }
        conn_close(c);
        return 0;
    }
    if (c->state != C_BUSY) return 0;
    int ok, cl;
    if (!parse_response(c, &ok, &cl)) return 0;
    record(c, ok, 1);
    if (cl) { conn_close(c); return 0; }
    c->state = C_IDLE;
    return 1;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t pct(double p) {
    if (!recorded) return 0;
    int64_t i = (int64_t)(p / 100.0 * recorded);
    if (i >= recorded) i = recorded - 1;
    return lat_us[i];
}

int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host")) host = v;
        else if (!strcmp(k, "--port")) port = atoi(v);
        else if (!strcmp(k, "--path")) path = v;
        else if (!strcmp(k, "--bodies")) bodies_path = v;
        else if (!strcmp(k, "--rate")) rate = atof(v);
        else if (!strcmp(k, "--duration")) duration = atof(v);
        else if (!strcmp(k, "--warmup")) warmup = atof(v);
        else if (!strcmp(k, "--connections")) nconns = atoi(v);
        else if (!strcmp(k, "--count")) count = atoll(v);
        else { fprintf(stderr, "openloop: unknown option %s\n", k); return 2; }
    }
    if (!bodies_path) { fprintf(stderr, "openloop: --bodies FILE is required\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "openloop: host must be an IPv4 address\n"); return 2; }
    load_bodies();
    ep = epoll_create1(0);
    struct epoll_event evs[256];

    if (rate <= 0) {
        // Closed loop, one connection, exactly `count` requests.
        conn_t c = {.fd = -1};
        lat_us = malloc(sizeof(uint32_t) * (count + 1));
        int64_t t0 = now_ns();
        for (int64_t i = 0; i < count; i++) {
            if (c.state == C_DOWN) conn_open(&c);
            if (c.state == C_DOWN) { sockerr++; completed++; usleep(10000); continue; }
            send_on(&c, i, now_ns(), 1);
            while (c.state == C_BUSY) {
                int n = epoll_wait(ep, evs, 256, 30000);
                if (n <= 0) { fprintf(stderr, "openloop: no answer within 30 s\n"); record(&c, 0, 0); conn_close(&c); break; }
                if (evs[0].events & EPOLLOUT) try_write(&c);
                if (c.state == C_BUSY && (evs[0].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(&c);
            }
        }
        double secs = (now_ns() - t0) / 1e9;
        qsort(lat_us, recorded, sizeof(uint32_t), cmp_u32);
        printf("OPENLOOP mode=sequential sent=%lld recorded=%lld ok=%lld non2xx=%lld sockerr=%lld p50_us=%u p99_us=%u max_us=%u achieved_rps=%.1f\n",
               (long long)count, (long long)recorded, (long long)ok2xx, (long long)non2xx, (long long)sockerr,
               pct(50), pct(99), recorded ? lat_us[recorded - 1] : 0, completed / secs);
        return (ok2xx == count) ? 0 : 1;
    }

    int64_t total = (int64_t)(rate * (warmup + duration));
    int64_t recorded_from = (int64_t)(rate * warmup);
    lat_us = malloc(sizeof(uint32_t) * (total + 1));
    conn_t *conns = calloc(nconns, sizeof *conns);
    conn_t **idle = malloc(nconns * sizeof *idle);
    int nidle = 0;
    for (int i = 0; i < nconns; i++) {
        conns[i].fd = -1;
        conn_open(&conns[i]);
        if (conns[i].state == C_IDLE) idle[nidle++] = &conns[i];
    }
    if (!nidle) { fprintf(stderr, "openloop: cannot connect to %s:%d\n", host, port); return 2; }
    // Queue of requests whose intended time has come but no connection was idle.
    int64_t *queue = malloc(sizeof(int64_t) * (total + 1));
    int64_t qhead = 0, qtail = 0;
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

    double interval_ns = 1e9 / rate;
    int64_t start = now_ns() + 20000000;  // 20 ms from now
    int64_t next = 0;                     // next request index to schedule
    int64_t deadline_after = 0;
    int64_t in_flight = 0;

    for (;;) {
        int64_t t = now_ns();
        while (next < total && start + (int64_t)(next * interval_ns) <= t) queue[qtail++] = next++;
        // Reconnect dropped connections (closed by the server) lazily.
        while (qhead < qtail) {
            conn_t *c = NULL;
            while (nidle > 0 && !c) {
                conn_t *cand = idle[--nidle];
                if (cand->state == C_IDLE) c = cand;
            }
            if (!c) {
                for (int i = 0; i < nconns && !c; i++)
                    if (conns[i].state == C_DOWN) { conn_open(&conns[i]); if (conns[i].state == C_IDLE) c = &conns[i]; }
            }
            if (!c) break;
            int64_t idx = queue[qhead++];
            int64_t intended = start + (int64_t)(idx * interval_ns);
            int64_t lag = now_ns() - intended;
            if (idx >= recorded_from && lag > max_send_lag_ns) max_send_lag_ns = lag;
            in_flight++;
            send_on(c, idx, intended, idx >= recorded_from);
            if (c->state == C_DOWN) in_flight--;
        }
        if (next >= total && qhead == qtail && in_flight == 0) break;
        if (next >= total && qhead == qtail) {
            if (!deadline_after) deadline_after = now_ns() + 30000000000LL;
            if (now_ns() > deadline_after) { fprintf(stderr, "openloop: %lld requests unanswered after 30 s\n", (long long)in_flight); sockerr += in_flight; break; }
        }
        int timeout = -1;
        if (next < total) {
            int64_t at = start + (int64_t)(next * interval_ns);
            struct itimerspec its = {0};
            its.it_value.tv_sec = at / 1000000000LL;
            its.it_value.tv_nsec = at % 1000000000LL;
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        } else {
            timeout = 100;
        }
        int n = epoll_wait(ep, evs, 256, timeout);
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (!c) { uint64_t x; (void)!read(tfd, &x, sizeof x); continue; }
            if (c->state == C_DOWN) continue;
            int64_t before = completed;
            int was_busy = c->state == C_BUSY;
            if ((evs[i].events & EPOLLOUT) && c->state == C_BUSY) try_write(c);
            if (c->state != C_DOWN && (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
            in_flight -= completed - before;
            if (was_busy && c->state == C_IDLE) idle[nidle++] = c;
        }
    }
    double secs = (now_ns() - start) / 1e9;
    qsort(lat_us, recorded, sizeof(uint32_t), cmp_u32);
    printf("OPENLOOP mode=open rate=%.0f duration_s=%.0f warmup_s=%.0f connections=%d sent=%lld recorded=%lld ok=%lld non2xx=%lld sockerr=%lld "
           "p50_us=%u p90_us=%u p99_us=%u p999_us=%u max_us=%u achieved_rps=%.1f max_send_lag_us=%lld\n",
           rate, duration, warmup, nconns, (long long)total, (long long)recorded, (long long)ok2xx, (long long)non2xx, (long long)sockerr,
           pct(50), pct(90), pct(99), pct(99.9), recorded ? lat_us[recorded - 1] : 0, completed / secs,
           (long long)(max_send_lag_ns / 1000));
    return 0;
}
