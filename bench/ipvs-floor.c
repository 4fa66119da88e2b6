/*
 * The floor for bench/ipvs: the least userland work that creates the benchmark's IPVS table.
 * Every request is built before the clock starts; the timed part is only: open a generic-netlink
 * socket, resolve the "IPVS" family, send the prebuilt messages packed into datagrams of at most
 * 32 KiB, and read the kernel's answers. Only the last message of each datagram asks for an ACK:
 * the kernel handles a datagram's messages in order, in the sender's sendmsg() call, and answers a
 * failed one with an error even without NLM_F_ACK, so that ACK proves the whole datagram was done.
 *
 * The table matches bench/ipvs's: S TCP services 10.(100+s/62500).(s/250%250).(s%250+1):80 wrr,
 * each with D masquerading destinations 172.(16+s/250%16).(s%250).(d+1):8080 weight 1. Attributes
 * follow the kernel's policies (include/uapi/linux/ip_vs.h): addresses as 16 bytes, ports in
 * network order, everything else in host order.
 *
 * Usage: ipvs-floor SERVICES DESTS   prints the seconds spent after the messages were built.
 *        ipvs-floor dump              the read floor: dumps every service, then each one's destinations
 *                                     (GET_DEST has only a dumpit, one per service), counting messages
 *                                     without parsing them; prints the seconds from socket() to the end.
 * Written for GorbLink from the protocol facts in its reference notes; needs CAP_NET_ADMIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#define IPVS_CMD_NEW_SERVICE 1
#define IPVS_CMD_NEW_DEST 5
#define IPVS_CMD_ATTR_SERVICE 1
#define IPVS_CMD_ATTR_DEST 2
#define SVC_AF 1
#define SVC_PROTOCOL 2
#define SVC_ADDR 3
#define SVC_PORT 4
#define SVC_SCHED_NAME 6
#define SVC_FLAGS 7
#define SVC_TIMEOUT 8
#define SVC_NETMASK 9
#define DEST_ADDR 1
#define DEST_PORT 2
#define DEST_FWD_METHOD 3
#define DEST_WEIGHT 4
#define DEST_U_THRESH 5
#define DEST_L_THRESH 6
#define DEST_ADDR_FAMILY 11

#define DATAGRAM_BYTES (32 * 1024)
#define ALIGN4(n) (((n) + 3u) & ~3u)

static void die(const char *what) { fprintf(stderr, "ipvs-floor: %s: %s\n", what, strerror(errno)); exit(1); }

/* Appends one attribute at *at; returns its start so a nest can be closed later. */
static unsigned char *put(unsigned char **at, uint16_t type, const void *value, uint16_t length)
{
    struct nlattr *a = (struct nlattr *)*at;
    a->nla_type = type;
    a->nla_len = (uint16_t)(NLA_HDRLEN + length);
    if (length) memcpy(*at + NLA_HDRLEN, value, length);
    memset(*at + NLA_HDRLEN + length, 0, ALIGN4(NLA_HDRLEN + length) - (NLA_HDRLEN + length));
    *at += ALIGN4(NLA_HDRLEN + length);
    return (unsigned char *)a;
}

static void put16(unsigned char **at, uint16_t type, uint16_t v) { put(at, type, &v, 2); }
static void put32(unsigned char **at, uint16_t type, uint32_t v) { put(at, type, &v, 4); }
static void close_nest(unsigned char *nest, unsigned char *at) { ((struct nlattr *)nest)->nla_len = (uint16_t)(at - nest); }

static void service_identity(unsigned char **at, const unsigned char vip[16])
{
    put16(at, SVC_AF, AF_INET);
    put16(at, SVC_PROTOCOL, 6);
    put(at, SVC_ADDR, vip, 16);
    put16(at, SVC_PORT, htons(80));
}

/* Starts a message at *at; the caller closes it with end_message. */
static struct nlmsghdr *begin_message(unsigned char **at, uint16_t family, uint8_t cmd, uint32_t seq)
{
    struct nlmsghdr *h = (struct nlmsghdr *)*at;
    memset(h, 0, NLMSG_HDRLEN + GENL_HDRLEN);
    h->nlmsg_type = family;
    h->nlmsg_flags = NLM_F_REQUEST;
    h->nlmsg_seq = seq;
    struct genlmsghdr *g = (struct genlmsghdr *)(*at + NLMSG_HDRLEN);
    g->cmd = cmd;
    g->version = 1;
    *at += NLMSG_HDRLEN + GENL_HDRLEN;
    return h;
}

static void end_message(struct nlmsghdr *h, unsigned char *at) { h->nlmsg_len = (uint32_t)(at - (unsigned char *)h); }

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Receives until the answer to seq; returns its error (0 = ACK). For GETFAMILY, *family gets the id. */
static int await_answer(int fd, unsigned char *buffer, size_t size, uint32_t seq, uint16_t *family)
{
    for (;;) {
        ssize_t n = recv(fd, buffer, size, 0);
        if (n < 0) die("recv");
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                int error = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
                if (error != 0) { fprintf(stderr, "ipvs-floor: message %u refused: %s\n", h->nlmsg_seq, strerror(-error)); exit(1); }
                if (h->nlmsg_seq == seq) return 0;
            } else if (family && h->nlmsg_type == GENL_ID_CTRL) {
                unsigned char *p = (unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN, *end = (unsigned char *)h + h->nlmsg_len;
                while (p + NLA_HDRLEN <= end) {
                    struct nlattr *a = (struct nlattr *)p;
                    if (a->nla_len < NLA_HDRLEN) break;
                    if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID) memcpy(family, p + NLA_HDRLEN, 2);
                    p += NLA_ALIGN(a->nla_len);
                }
            }
        }
    }
}

/* Sends one dump request and reads to NLMSG_DONE; copies each NEW_SERVICE's SERVICE nest out when asked. */
static size_t dump(int fd, unsigned char *request, unsigned char *buffer, size_t size,
                   unsigned char (*nests)[128], size_t max_nests)
{
    struct nlmsghdr *r = (struct nlmsghdr *)request;
    if (send(fd, request, r->nlmsg_len, 0) < 0) die("send dump");
    size_t count = 0;
    for (;;) {
        ssize_t n = recv(fd, buffer, size, 0);
        if (n < 0) die("recv dump");
        for (struct nlmsghdr *h = (struct nlmsghdr *)buffer; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) return count;
            if (h->nlmsg_type == NLMSG_ERROR) { fprintf(stderr, "ipvs-floor: dump refused\n"); exit(1); }
            if (nests && count < max_nests) {
                struct nlattr *a = (struct nlattr *)((unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN);
                if (a->nla_len <= 128) memcpy(nests[count], a, a->nla_len);
            }
            count++;
        }
    }
}

static int read_floor(int fd, uint16_t family, double t0)
{
    static unsigned char buffer[64 * 1024], request[256];
    static unsigned char nests[100000][128];
    unsigned char *at = request;
    struct nlmsghdr *h = begin_message(&at, family, 4 /* IPVS_CMD_GET_SERVICE */, 2);
    h->nlmsg_flags |= NLM_F_DUMP;
    end_message(h, at);
    size_t services = dump(fd, request, buffer, sizeof buffer, nests, 100000), dests = 0;
    for (size_t i = 0; i < services && i < 100000; i++) {
        /* GET_DEST reads the SERVICE nest from the top level of the request: the dump's own nest will do. */
        at = request;
        h = begin_message(&at, family, 8 /* IPVS_CMD_GET_DEST */, (uint32_t)(3 + i));
        h->nlmsg_flags |= NLM_F_DUMP;
        uint16_t length = ((struct nlattr *)nests[i])->nla_len;
        memcpy(at, nests[i], length);
        at += ALIGN4(length);
        end_message(h, at);
        dests += dump(fd, request, buffer, sizeof buffer, NULL, 0);
    }
    printf("%.4f\n", now() - t0);
    fprintf(stderr, "ipvs-floor: read %zu services, %zu destinations\n", services, dests);
    return 0;
}

int main(int argc, char **argv)
{
    int reading = argc == 2 && strcmp(argv[1], "dump") == 0;
    if (argc != 3 && !reading) { fprintf(stderr, "usage: ipvs-floor SERVICES DESTS | ipvs-floor dump\n"); return 2; }
    int services = reading ? 0 : atoi(argv[1]), dests = reading ? 0 : atoi(argv[2]);
    size_t messages = (size_t)services * (dests + 1);

    /* Every message is at most 200 bytes; datagram boundaries are chosen while building. */
    unsigned char *all = malloc(messages * 200 + DATAGRAM_BYTES);
    size_t *cuts = malloc((messages + 1) * sizeof *cuts);
    uint32_t *last_seq = malloc((messages + 1) * sizeof *last_seq);
    if (!all || !cuts || !last_seq) die("malloc");

    double t0 = now();
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    if (fd < 0) die("socket");
    struct sockaddr_nl local = { .nl_family = AF_NETLINK };
    if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0) die("bind");
    int one = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);

    static unsigned char buffer[64 * 1024];
    unsigned char *at = buffer;
    struct nlmsghdr *h = (struct nlmsghdr *)at;
    memset(h, 0, NLMSG_HDRLEN + GENL_HDRLEN);
    h->nlmsg_type = GENL_ID_CTRL;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = 1;
    ((struct genlmsghdr *)(at + NLMSG_HDRLEN))->cmd = CTRL_CMD_GETFAMILY;
    ((struct genlmsghdr *)(at + NLMSG_HDRLEN))->version = 1;
    at += NLMSG_HDRLEN + GENL_HDRLEN;
    put(&at, CTRL_ATTR_FAMILY_NAME, "IPVS", 5);
    end_message(h, at);
    if (send(fd, buffer, h->nlmsg_len, 0) < 0) die("send GETFAMILY");
    uint16_t family = 0;
    await_answer(fd, buffer, sizeof buffer, 1, &family);
    if (!family) { fprintf(stderr, "ipvs-floor: no IPVS family\n"); return 1; }
    double t_family = now() - t0;
    if (reading) return read_floor(fd, family, t0);

    /* Build (untimed): each service, then its destinations, in datagrams of at most 32 KiB. */
    at = all;
    size_t datagrams = 0, in_datagram = 0;
    unsigned char *datagram_start = all;
    struct nlmsghdr *previous = NULL;
    uint32_t seq = 2;
    cuts[0] = 0;
    for (int s = 0; s < services; s++) {
        unsigned char vip[16] = { 10, (unsigned char)(100 + s / 62500), (unsigned char)(s / 250 % 250), (unsigned char)(s % 250 + 1) };
        for (int d = -1; d < dests; d++) {
            if ((size_t)(at - datagram_start) + 200 > DATAGRAM_BYTES && in_datagram) {
                previous->nlmsg_flags |= NLM_F_ACK;
                last_seq[datagrams] = previous->nlmsg_seq;
                cuts[++datagrams] = (size_t)(at - all);
                datagram_start = at;
                in_datagram = 0;
            }
            struct nlmsghdr *m = begin_message(&at, family, d < 0 ? IPVS_CMD_NEW_SERVICE : IPVS_CMD_NEW_DEST, seq++);
            unsigned char *nest = put(&at, IPVS_CMD_ATTR_SERVICE, NULL, 0);
            service_identity(&at, vip);
            if (d < 0) {
                uint32_t flags[2] = { 0, 0xffffffffu };
                put(&at, SVC_SCHED_NAME, "wrr", 4);
                put(&at, SVC_FLAGS, flags, 8);
                put32(&at, SVC_TIMEOUT, 0);
                put32(&at, SVC_NETMASK, 0xffffffffu);
                close_nest(nest, at);
            } else {
                close_nest(nest, at);
                unsigned char rip[16] = { 172, (unsigned char)(16 + s / 250 % 16), (unsigned char)(s % 250), (unsigned char)(d + 1) };
                nest = put(&at, IPVS_CMD_ATTR_DEST, NULL, 0);
                put16(&at, DEST_ADDR_FAMILY, AF_INET);
                put(&at, DEST_ADDR, rip, 16);
                put16(&at, DEST_PORT, htons(8080));
                put32(&at, DEST_FWD_METHOD, 0);
                put32(&at, DEST_WEIGHT, 1);
                put32(&at, DEST_U_THRESH, 0);
                put32(&at, DEST_L_THRESH, 0);
                close_nest(nest, at);
            }
            end_message(m, at);
            previous = m;
            in_datagram++;
        }
    }
    if (in_datagram) {
        previous->nlmsg_flags |= NLM_F_ACK;
        last_seq[datagrams] = previous->nlmsg_seq;
        cuts[++datagrams] = (size_t)(at - all);
    }

    /* Timed: send each datagram and read its ACK (the kernel has answered before send() returns). */
    double t1 = now();
    for (size_t i = 0; i < datagrams; i++) {
        if (send(fd, all + cuts[i], cuts[i + 1] - cuts[i], 0) < 0) die("send");
        await_answer(fd, buffer, sizeof buffer, last_seq[i], NULL);
    }
    double t2 = now();
    close(fd);
    printf("%.4f\n", t_family + (t2 - t1));
    fprintf(stderr, "ipvs-floor: %zu messages in %zu datagrams; open + resolve %.4f s, send + ACKs %.4f s\n",
            messages, datagrams, t_family, t2 - t1);
    return 0;
}
