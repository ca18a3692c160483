/* SPDX-License-Identifier: MIT */
#include "logformat.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#include "parse_num.h"

/* How a token reads the line. */
enum lf_class {
	C_LIT,	  /* literal text */
	C_SEP,	  /* a run of spaces in the format */
	C_NUM,	  /* [+-]digits (hex with +X) or "-" */
	C_TOKEN,  /* one word, no spaces */
	C_ADDR,	  /* an address: [0-9A-Fa-f:.]+, "unix" or "-" */
	C_FREE,	  /* anything, spaces included */
	C_QUOTED, /* "..." (+Q), or a bare word such as - */
	C_BRACE,  /* {a|b} or nothing (%hr, %hs) */
	C_NUMSEQ, /* nseq numbers joined by one byte, none of them a field:
		     "%Tw/%Tc/%Tt" read in one step */
};

/*
 * One step of the one-pass reading (match_first): a token read the way
 * the general matcher reads it first, and the literal after it.  The
 * kind is chosen from the token and what follows it when the format is
 * compiled, not for every line.
 */
enum lf_opk {
	OP_LIT,	    /* a literal no field precedes */
	OP_SEP,	    /* C_SEP */
	OP_NUM,	    /* C_NUM, decimal */
	OP_NUMSEQ,  /* C_NUMSEQ */
	OP_WORD,    /* C_TOKEN before a space, a separator or the end */
	OP_WORD_C,  /* C_TOKEN before a literal that starts with c, not ' ' */
	OP_ADDR,    /* C_ADDR before a literal no address holds (c 0), or
		       before one that starts with c, which an address
		       may hold (':') */
	OP_REST,    /* C_FREE, last: the rest of the line */
	OP_FREE_C,  /* C_FREE before a literal that starts with c */
	OP_GENERAL, /* anything else: the general matcher from here on */
	/* OP_NUM, OP_NUMSEQ, OP_WORD before a literal that is one space,
	 * the usual separator: one byte to compare, no literal to look up */
	OP_NUM_SP,
	OP_NUMSEQ_SP,
	OP_WORD_SP,
};

struct lf_op {
	unsigned char kind;
	char c;		  /* OP_WORD_C, OP_ADDR, OP_FREE_C: the byte the
			     field ends at; OP_NUMSEQ: the byte between
			     numbers */
	unsigned char nseq; /* OP_NUMSEQ */
	char lit0;	  /* the literal's first byte */
	unsigned tok;	  /* the token */
	size_t litlen;	  /* the literal after it; 0: none */
	const char *lit;
	uint64_t litw, litm; /* its first bytes (at most 8), and their mask */
};

/*
 * The line between two of its spaces, for match_segs: what the steps of
 * the format between two of its literal spaces read there.  A kind other
 * than SEG_OPS is a single field whose end is then known, checked
 * without searching for it.
 */
enum lf_segk {
	SEG_OPS,    /* steps segops[op..op + nops), as run_ops reads them */
	SEG_WORD,   /* OP_WORD: not empty */
	SEG_NUM,    /* OP_NUM */
	SEG_NUMSEQ, /* OP_NUMSEQ of nseq numbers joined by c */
	SEG_WORD2,  /* OP_WORD_C c, the literal c, OP_WORD */
	SEG_ADDR,   /* OP_ADDR c, the literal c, OP_NUM: "%ci:%cp" */
	SEG_WRAP,   /* a one-byte literal, OP_WORD_C c, the literal c:
		       "[%t]" */
};

struct lf_seg {
	unsigned char kind;
	char c;
	unsigned char nseq;
	unsigned char store; /* 1: record tok's span, 2: tok2's (fields) */
	unsigned tok, tok2;
	size_t op, nops;
};

/* More literal spaces than this: no segments (see build_segs). */
#define LF_MAX_SEGS 64

/*
 * The segments build_segs makes of the formats sni-scan(8) recommends
 * (tcp-sni, tcp-sni-tls, or the same format pasted), read by code made for
 * them: segs_read with each segment's kind and tokens known when sni-scan
 * is built, no step chosen per line.  Columns as in struct lf_seg.  Used
 * only when a format's segments are these (segs_are): were compiling to
 * change, lines would be read more slowly, not differently (and
 * test_presets would say so).
 */
static const struct lf_seg tcp_sni_segs[] = {
	{SEG_ADDR, ':', 0, 0, 0, 2, 0, 2},
	{SEG_WRAP, ']', '[', 0, 4, 0, 2, 2},
	{SEG_WORD, 0, 0, 1, 6, 0, 4, 1},
	{SEG_WORD2, '/', 0, 1, 8, 10, 5, 2},
	{SEG_NUMSEQ, '/', 3, 0, 12, 0, 7, 1},
	{SEG_NUM, 0, 0, 1, 14, 0, 8, 1},
	{SEG_NUM, 0, 0, 1, 16, 0, 9, 1},
	{SEG_WORD, 0, 0, 0, 18, 0, 10, 1},
	{SEG_NUMSEQ, '/', 5, 0, 20, 0, 11, 1},
	{SEG_NUMSEQ, '/', 2, 0, 22, 0, 12, 1},
};
#define TCP_SNI_NSEGS (sizeof tcp_sni_segs / sizeof tcp_sni_segs[0])

enum lf_field { F_NONE, F_SNI, F_BYTES_OUT, F_BYTES_IN, F_FRONTEND,
		F_BACKEND };
#define NO_FIELD ((size_t)-1)

/* The token of each field in the formats of tcp_sni_segs (F_NONE's is
 * not looked at). */
static const size_t tcp_sni_ftok[F_BACKEND + 1] = {
	[F_NONE] = NO_FIELD, [F_SNI] = 24, [F_BYTES_OUT] = 14,
	[F_BYTES_IN] = 16, [F_FRONTEND] = 6, [F_BACKEND] = 8,
};

struct lf_tok {
	enum lf_class cls;
	enum lf_field field;
	int hex;	  /* C_NUM printed with +X */
	int sni_in_brace; /* C_BRACE holding the name in a capture slot */
	char *lit;	  /* C_LIT */
	size_t litlen, litcap;
	unsigned nseq;	  /* C_NUMSEQ: how many numbers */
	char sep;	  /* C_NUMSEQ: the byte between them */
};

/* The fields' tokens of tcp_sni_ftok as those formats compile them (their
 * tokens are 0..24); is_tcp_sni checks these too. */
static const struct lf_tok tcp_sni_tok[25] = {
	[6] = {.cls = C_TOKEN, .field = F_FRONTEND},
	[8] = {.cls = C_TOKEN, .field = F_BACKEND},
	[14] = {.cls = C_NUM, .field = F_BYTES_OUT},
	[16] = {.cls = C_NUM, .field = F_BYTES_IN},
	[24] = {.cls = C_FREE, .field = F_SNI},
};

struct logformat {
	struct lf_tok *tok;
	size_t n;
	int heuristic; /* preset traffic-exporter */
	int has_sni, has_bytes_out, has_bytes_in;
	int has_request; /* %r: HTTP lines may say <BADREQ> */
	/* The token of each field (the last one, if several have it);
	 * NO_FIELD: the format lacks it. */
	size_t ftok[F_BACKEND + 1];
	unsigned sni_capture;
	struct lf_op *prog; /* the one-pass reading, see match_first() */
	size_t nprog;
	/* The same steps split at the literal spaces, see match_segs():
	 * segs[i] ends at the line's space i; the steps from segops[tail]
	 * on read the rest of the line.  nsegs 0: not read so. */
	struct lf_op *segops;
	struct lf_seg *segs;
	size_t nsegops, nsegs, tail;
	int tail_rest; /* the tail is a literal, then OP_REST */
	/* How lines are read by segments: not at all (the steps of prog
	 * are as fast for a format sni-scan has no code made for), by
	 * match_segs_tcp, or by match_segs (logformat_set_segments). */
	enum { SEGS_OFF, SEGS_TCP, SEGS_ANY } seg_mode;
	int avx2; /* byte-class masks 32 bytes a step */
};

struct preset {
	const char *name;
	const char *fmt;
};

/* The formats the man page recommends; each is tested against a real
 * HAProxy (tests/integration/sni-scan_haproxy.sh). */
static const struct preset presets[] = {
	{"tcp-sni", "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts "
		    "%ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[var(sess.sni)]"},
	{"tcp-sni-tls", "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %U %ts "
			"%ac/%fc/%bc/%sc/%rc %sq/%bq SNI=%[ssl_fc_sni]"},
	{"http-sni", "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %U "
		     "%CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs "
		     "%{+Q}r SNI=%[ssl_fc_sni]"},
	{"traffic-exporter", NULL},
};

/* Variables whose text may contain spaces: dates with a zone, the
 * request line, header lists. */
static const char *const free_vars[] = {"T", "Tl", "trg", "trl", "r",
					 "hrl", "hsl", NULL};
/* Numeric variables. */
static const char *const num_vars[] = {
	"B", "U", "ST", "Ta", "Tc", "Td", "Th", "Ti", "Tq", "TR", "Tr",
	"Ts", "Tt", "Tw", "Tu", "ac", "bc", "fc", "sc", "rc", "bq", "sq",
	"lc", "bp", "cp", "fp", "sp", "pid", "rt", "ms", "Cp", "Bp", "Fp",
	"Sp", NULL};

/* Address variables: stricter than a word, so that text glued in front
 * of a line (a mangled frame) is not taken for the client address. */
static const char *const addr_vars[] = {"ci", "fi", "bi", "si", "Ci", "Fi",
					 "Bi", "Si", NULL};

static int in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !memcmp(*list, s, n))
			return 1;
	return 0;
}

static int is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Bytes of an address: a table, one load per byte on the hot path
 * (the client address opens every line). */
static const unsigned char addr_ok[256] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	[':'] = 1, ['.'] = 1,
};

static int is_addr_char(char c)
{
	return addr_ok[(unsigned char)c];
}

static int contains_ci(const char *s, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	for (size_t i = 0; i + m <= n; i++) {
		size_t j = 0;
		while (j < m && (s[i + j] | 0x20) == needle[j])
			j++;
		if (j == m)
			return 1;
	}
	return 0;
}

static struct lf_tok *push(struct logformat *lf, enum lf_class cls)
{
	if (lf->n >= LF_MAX_TOKENS)
		return NULL;
	struct lf_tok *t = &lf->tok[lf->n++];
	memset(t, 0, sizeof *t);
	t->cls = cls;
	return t;
}

static int fail(char *err, size_t errlen, size_t off, const char *why)
{
	snprintf(err, errlen, "log format, byte %zu: %s", off + 1, why);
	errno = EINVAL;
	return -1;
}

/* Append literal bytes, merging with a preceding literal. */
static int add_lit(struct logformat *lf, const char *s, size_t n)
{
	struct lf_tok *t = lf->n ? &lf->tok[lf->n - 1] : NULL;
	if (!t || t->cls != C_LIT) {
		t = push(lf, C_LIT);
		if (!t)
			return -1;
	}
	if (t->litlen + n + 1 > t->litcap) {
		/* Doubling: a format of many escapes stays linear. */
		size_t cap = t->litcap ? t->litcap : 16;
		while (cap < t->litlen + n + 1)
			cap *= 2;
		char *p = realloc(t->lit, cap);
		if (!p)
			return -1;
		t->lit = p;
		t->litcap = cap;
	}
	memcpy(t->lit + t->litlen, s, n);
	t->litlen += n;
	t->lit[t->litlen] = 0;
	return 0;
}

/* Does a token of this class always print at least one byte? */
static int never_empty(const struct lf_tok *t)
{
	return t->cls == C_LIT || t->cls == C_NUM || t->cls == C_ADDR ||
	       t->cls == C_TOKEN;
}

/*
 * After a token that always prints something, HAProxy's separator is
 * exactly one space: make it literal text and merge it with literal
 * neighbours, so the matcher does one comparison instead of three steps.
 * A separator next to a field that may print nothing stays a separator:
 * the line may then end without it.
 */
static void merge_separators(struct logformat *lf)
{
	size_t o = 0;
	for (size_t k = 0; k < lf->n; k++) {
		struct lf_tok *t = &lf->tok[k];
		if (t->cls == C_SEP && o > 0 && never_empty(&lf->tok[o - 1]) &&
		    k + 1 < lf->n && never_empty(&lf->tok[k + 1])) {
			t->cls = C_LIT;
			t->lit = malloc(2);
			if (!t->lit) {
				t->cls = C_SEP; /* keep it: still correct */
			} else {
				memcpy(t->lit, " ", 2);
				t->litlen = 1;
				t->litcap = 2;
			}
		}
		if (t->cls == C_LIT && o > 0 && lf->tok[o - 1].cls == C_LIT) {
			struct lf_tok *p = &lf->tok[o - 1];
			char *np = realloc(p->lit, p->litlen + t->litlen + 1);
			if (np) {
				memcpy(np + p->litlen, t->lit, t->litlen + 1);
				p->lit = np;
				p->litlen += t->litlen;
				p->litcap = p->litlen + 1;
				free(t->lit);
				continue;
			}
		}
		lf->tok[o++] = *t;
	}
	lf->n = o;
}

static int plain_num(const struct lf_tok *t)
{
	return t->cls == C_NUM && t->field == F_NONE && !t->hex;
}

/*
 * Runs like %ac/%fc/%bc/%sc/%rc -- numbers of no interest joined by a
 * one-byte literal -- become one token: one dispatch instead of nine.
 */
static void merge_numbers(struct logformat *lf)
{
	size_t o = 0;
	for (size_t k = 0; k < lf->n;) {
		struct lf_tok *t = &lf->tok[k];
		size_t j = k;
		unsigned cnt = 1;
		if (plain_num(t)) {
			while (j + 2 < lf->n && lf->tok[j + 1].cls == C_LIT &&
			       lf->tok[j + 1].litlen == 1 &&
			       lf->tok[j + 1].lit[0] != '-' &&
			       lf->tok[j + 1].lit[0] != '+' &&
			       (lf->tok[j + 1].lit[0] < '0' ||
				lf->tok[j + 1].lit[0] > '9') &&
			       lf->tok[j + 1].lit[0] == lf->tok[k + 1].lit[0] &&
			       plain_num(&lf->tok[j + 2])) {
				j += 2;
				cnt++;
			}
		}
		if (cnt > 1) {
			struct lf_tok n = *t;
			n.cls = C_NUMSEQ;
			n.nseq = cnt;
			n.sep = lf->tok[k + 1].lit[0];
			for (size_t q = k + 1; q <= j; q++)
				free(lf->tok[q].lit);
			lf->tok[o++] = n;
			k = j + 1;
			continue;
		}
		lf->tok[o++] = *t;
		k++;
	}
	lf->n = o;
}

/* Make l bytes at lit the literal step o compares after its field; a
 * number, numbers or word then compare one byte if it is one space. */
static void set_lit(struct lf_op *o, const char *lit, size_t l)
{
	size_t w = l < 8 ? l : 8;
	int sp = l == 1 && lit[0] == ' ';
	o->lit = lit;
	o->litlen = l;
	o->lit0 = l ? lit[0] : 0;
	o->litw = o->litm = 0;
	memcpy(&o->litw, lit, w);
	memset(&o->litm, 0xff, w);
	if (o->kind == OP_NUM || o->kind == OP_NUM_SP)
		o->kind = sp ? OP_NUM_SP : OP_NUM;
	else if (o->kind == OP_NUMSEQ || o->kind == OP_NUMSEQ_SP)
		o->kind = sp ? OP_NUMSEQ_SP : OP_NUMSEQ;
	else if (o->kind == OP_WORD || o->kind == OP_WORD_SP)
		o->kind = sp ? OP_WORD_SP : OP_WORD;
}

/*
 * The one-pass reading of the compiled format (see match_first): one
 * step per token, the literal after a field folded into its step.  From
 * the first token it has no step for on, the general matcher reads the
 * rest.  Out of memory: no steps, every line takes the general matcher.
 */
static void build_prog(struct logformat *lf)
{
	lf->prog = calloc(lf->n, sizeof *lf->prog);
	lf->nprog = 0;
#ifdef HAVE_AVX2_PATH
	lf->avx2 = __builtin_cpu_supports("avx2");
#endif
	if (!lf->prog)
		return;
	for (size_t k = 0; k < lf->n; k++) {
		const struct lf_tok *t = &lf->tok[k];
		const struct lf_tok *next = k + 1 < lf->n ? t + 1 : NULL;
		struct lf_op *o = &lf->prog[lf->nprog++];
		int lit_next = next && next->cls == C_LIT;
		o->tok = (unsigned)k;
		o->kind = OP_GENERAL;
		switch (t->cls) {
		case C_LIT:
			o->kind = OP_LIT;
			break;
		case C_SEP:
			o->kind = OP_SEP;
			break;
		case C_NUM:
			if (!t->hex)
				o->kind = OP_NUM;
			break;
		case C_NUMSEQ:
			if (t->nseq <= 255) {
				o->kind = OP_NUMSEQ;
				o->nseq = (unsigned char)t->nseq;
				o->c = t->sep;
			}
			break;
		case C_TOKEN:
			if (!next || next->cls == C_SEP ||
			    (lit_next && next->lit[0] == ' ')) {
				o->kind = OP_WORD;
			} else if (lit_next) {
				o->kind = OP_WORD_C;
				o->c = next->lit[0];
			}
			break;
		case C_ADDR:
			if (lit_next) {
				o->kind = OP_ADDR;
				if (is_addr_char(next->lit[0]))
					o->c = next->lit[0];
			}
			break;
		case C_FREE:
			if (!next) {
				o->kind = OP_REST;
			} else if (lit_next) {
				o->kind = OP_FREE_C;
				o->c = next->lit[0];
			}
			break;
		default:
			break;
		}
		if (o->kind == OP_GENERAL)
			return;
		/* A literal is its own step only with no field before it;
		 * else the step before compares it. */
		const struct lf_tok *l = t->cls == C_LIT ? t :
					 lit_next ? next : NULL;
		if (l) {
			set_lit(o, l->lit, l->litlen);
			if (l != t)
				k++;
		}
	}
}

static unsigned char is_field(const struct logformat *lf, unsigned tok)
{
	return lf->tok[tok].field != F_NONE;
}

/* Does step o read only bytes other than spaces (its literal aside)? */
static int space_free(const struct lf_op *o)
{
	switch (o->kind) {
	case OP_LIT:
	case OP_NUM:
	case OP_NUM_SP:
	case OP_WORD:
	case OP_WORD_SP:
	case OP_WORD_C:
	case OP_ADDR:
		return 1;
	case OP_NUMSEQ:
	case OP_NUMSEQ_SP:
		return o->c != ' ';
	default:
		return 0;
	}
}

/* The segment of steps segops[first..n): a single field if it is one. */
static void close_seg(struct logformat *lf, size_t first, size_t n)
{
	struct lf_seg *g = &lf->segs[lf->nsegs++];
	const struct lf_op *o = &lf->segops[first];

	memset(g, 0, sizeof *g);
	g->kind = SEG_OPS;
	g->op = first;
	g->nops = n - first;
	if (g->nops == 1 && !o->litlen) {
		g->tok = o->tok;
		g->store = is_field(lf, o->tok);
		if (o->kind == OP_WORD) {
			g->kind = SEG_WORD;
		} else if (o->kind == OP_NUM) {
			g->kind = SEG_NUM;
		} else if (o->kind == OP_NUMSEQ) {
			g->kind = SEG_NUMSEQ;
			g->c = o->c;
			g->nseq = o->nseq;
		}
	} else if (g->nops == 2 && o->kind == OP_WORD_C && o->litlen == 1 &&
		   o[1].kind == OP_WORD && !o[1].litlen) {
		g->kind = SEG_WORD2;
	} else if (g->nops == 2 && o->kind == OP_ADDR && o->c &&
		   o->litlen == 1 && o[1].kind == OP_NUM && !o[1].litlen) {
		g->kind = SEG_ADDR;
	} else if (g->nops == 2 && o->kind == OP_LIT && o->litlen == 1 &&
		   o[1].kind == OP_WORD_C && o[1].litlen == 1) {
		g->kind = SEG_WRAP;
		g->nseq = (unsigned char)o->lit0; /* the opening byte */
		g->c = o[1].c;
		g->tok = o[1].tok;
		g->store = is_field(lf, o[1].tok);
	}
	if (g->kind == SEG_WORD2 || g->kind == SEG_ADDR) {
		g->c = o->c;
		g->tok = o->tok;
		g->tok2 = o[1].tok;
		g->store = (unsigned char)(is_field(lf, o->tok) |
					   is_field(lf, o[1].tok) << 1);
	}
}

/* Are the segments of lf those n of t? */
static int segs_are(const struct logformat *lf, const struct lf_seg *t,
		    size_t n)
{
	if (lf->nsegs != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct lf_seg *g = &lf->segs[i];
		if (g->kind != t[i].kind || g->c != t[i].c ||
		    g->nseq != t[i].nseq || g->store != t[i].store ||
		    g->tok != t[i].tok || g->tok2 != t[i].tok2 ||
		    g->op != t[i].op || g->nops != t[i].nops)
			return 0;
	}
	return 1;
}

/* Is lf a format of tcp_sni_segs, its fields those of tcp_sni_ftok and
 * tcp_sni_tok? */
static int is_tcp_sni(const struct logformat *lf)
{
	if (!lf->tail_rest || !segs_are(lf, tcp_sni_segs, TCP_SNI_NSEGS))
		return 0;
	for (size_t f = F_SNI; f <= F_BACKEND; f++) {
		const struct lf_tok *t = &lf->tok[tcp_sni_ftok[f]];
		const struct lf_tok *want = &tcp_sni_tok[tcp_sni_ftok[f]];
		if (lf->ftok[f] != tcp_sni_ftok[f] || t->cls != want->cls ||
		    t->hex || t->field != want->field)
			return 0;
	}
	return 1;
}

/*
 * The steps of prog as segments (match_segs): up to the first step that
 * may read a space (a free field, a separator, the general matcher...),
 * every space in a literal ends a segment; the steps from there on are
 * the tail.  A literal is cut at its spaces: the part before the first
 * stays with its step, each later part is a literal step of its own.
 * None at all, or out of memory: nsegs 0, lines are read by steps.
 */
static void build_segs(struct logformat *lf)
{
	size_t cap = 0, n = 0, cur = 0, i;

	lf->nsegs = 0;
	for (i = 0; i < lf->nprog; i++)
		cap += 1 + lf->prog[i].litlen;
	lf->segops = calloc(cap ? cap : 1, sizeof *lf->segops);
	lf->segs = calloc(LF_MAX_SEGS, sizeof *lf->segs);
	if (!lf->segops || !lf->segs)
		goto none;
	for (i = 0; i < lf->nprog && space_free(&lf->prog[i]); i++) {
		const struct lf_op *o = &lf->prog[i];
		/* lit is NULL when litlen is 0, and NULL + 0 is undefined. */
		const char *lend = o->litlen ? o->lit + o->litlen : o->lit;
		const char *q = o->litlen ? memchr(o->lit, ' ', o->litlen) : NULL;
		struct lf_op c = *o;
		if (!q) {
			lf->segops[n++] = c;
			continue;
		}
		set_lit(&c, o->lit, (size_t)(q - o->lit));
		if (c.kind != OP_LIT || c.litlen)
			lf->segops[n++] = c;
		/* The literal's own token: its span is nobody's field. */
		unsigned ltok = o->kind == OP_LIT ? o->tok : o->tok + 1;
		while (q) {
			if (lf->nsegs == LF_MAX_SEGS)
				goto none;
			close_seg(lf, cur, n);
			cur = n;
			const char *from = q + 1;
			q = memchr(from, ' ', (size_t)(lend - from));
			size_t l = (size_t)((q ? q : lend) - from);
			if (l) {
				struct lf_op t = {.kind = OP_LIT, .tok = ltok};
				set_lit(&t, from, l);
				lf->segops[n++] = t;
			}
		}
	}
	if (!lf->nsegs)
		goto none;
	lf->tail = cur;
	for (; i < lf->nprog; i++)
		lf->segops[n++] = lf->prog[i];
	lf->nsegops = n;
	lf->tail_rest = n - cur == 2 && lf->segops[cur].kind == OP_LIT &&
			lf->segops[cur].litlen &&
			lf->segops[cur + 1].kind == OP_REST;
	if (is_tcp_sni(lf))
		lf->seg_mode = SEGS_TCP;
	return;
none:
	lf->nsegs = 0;
	free(lf->segops);
	free(lf->segs);
	lf->segops = NULL;
	lf->segs = NULL;
}

int logformat_compile(const char *fmt, struct logformat **out, char *err,
		      size_t errlen)
{
	struct logformat *lf = calloc(1, sizeof *lf);
	int global_q = 0;
	size_t i = 0, len = strlen(fmt);

	if (!lf || !(lf->tok = calloc(LF_MAX_TOKENS, sizeof *lf->tok))) {
		snprintf(err, errlen, "log format: out of memory");
		goto fail_free;
	}
	lf->sni_capture = 1;
	while (i < len) {
		char c = fmt[i];
		if (c == ' ') {
			while (i < len && fmt[i] == ' ')
				i++;
			if (lf->n && lf->tok[lf->n - 1].cls == C_SEP)
				continue;
			if (!push(lf, C_SEP))
				goto too_many;
			continue;
		}
		if (c == '\\' && i + 1 < len) {
			/* haproxy.cfg escapes inside a quoted string. */
			if (add_lit(lf, fmt + i + 1, 1))
				goto too_many;
			i += 2;
			continue;
		}
		if (c != '%') {
			/* At least one byte: a trailing backslash is itself. */
			size_t j = i + 1;
			while (j < len && fmt[j] != '%' && fmt[j] != ' ' &&
			       fmt[j] != '\\')
				j++;
			if (add_lit(lf, fmt + i, j - i))
				goto too_many;
			i = j;
			continue;
		}
		/* A variable: %% | %{flags}name | %{flags}[expr] */
		size_t start = i++;
		if (i < len && fmt[i] == '%') {
			if (add_lit(lf, "%", 1))
				goto too_many;
			i++;
			continue;
		}
		int q = global_q, hex = 0, quote_set = 0;
		if (i < len && fmt[i] == '{') {
			const char *end = memchr(fmt + i, '}', len - i);
			if (!end) {
				fail(err, errlen, start, "unterminated %{flags}");
				goto fail_free;
			}
			for (const char *p = fmt + i + 1; p + 1 < end; p++) {
				if ((*p == '+' || *p == '-') && p[1] == 'Q') {
					q = *p == '+';
					quote_set = 1;
				}
				if ((*p == '+' || *p == '-') && p[1] == 'X')
					hex = *p == '+';
			}
			i = (size_t)(end - fmt) + 1;
		}
		struct lf_tok *t;
		if (i < len && fmt[i] == '[') {
			int depth = 0;
			size_t j = i;
			for (; j < len; j++) {
				if (fmt[j] == '[')
					depth++;
				else if (fmt[j] == ']' && --depth == 0)
					break;
			}
			if (j >= len) {
				fail(err, errlen, start,
				     "unterminated %[sample expression]");
				goto fail_free;
			}
			const char *e = fmt + i + 1;
			size_t elen = j - i - 1;
			if ((elen >= 11 && !memcmp(e, "req.ssl_sni", 11)) ||
			    (elen >= 11 && !memcmp(e, "req_ssl_sni", 11))) {
				/* The mistake sni-scan exists to catch:
				 * HAProxy refuses this line itself. */
				fail(err, errlen, start,
				     "HAProxy refuses %[req.ssl_sni] in a "
				     "log-format (the request buffer is gone "
				     "when it logs): add \"tcp-request content "
				     "set-var(sess.sni) req.ssl_sni\" before the "
				     "accept rule and log SNI=%[var(sess.sni)]");
				goto fail_free;
			}
			t = push(lf, q ? C_QUOTED : C_TOKEN);
			if (!t)
				goto too_many;
			if (!lf->has_sni && contains_ci(e, elen, "sni")) {
				t->field = F_SNI;
				/* Unquoted, the name may hold anything a
				 * client sent, spaces too. */
				if (!q)
					t->cls = C_FREE;
				lf->has_sni = 1;
			} else if (elen == 9 && !memcmp(e, "bytes_out", 9)) {
				t->field = F_BYTES_OUT;
				t->cls = C_NUM;
			} else if (elen == 8 && !memcmp(e, "bytes_in", 8)) {
				t->field = F_BYTES_IN;
				t->cls = C_NUM;
			} else if (elen == 7 && !memcmp(e, "fe_name", 7)) {
				t->field = F_FRONTEND;
			} else if (elen == 7 && !memcmp(e, "be_name", 7)) {
				t->field = F_BACKEND;
			}
			i = j + 1;
			continue;
		}
		size_t j = i;
		while (j < len && is_alnum(fmt[j]))
			j++;
		if (j == i) {
			fail(err, errlen, start,
			     "'%' must be followed by a variable name, [expr] "
			     "or %");
			goto fail_free;
		}
		const char *name = fmt + i;
		size_t nlen = j - i;
		i = j;
		if (nlen == 1 && name[0] == 'o') {
			/* %{+Q}o sets the flag for every later field. */
			if (quote_set)
				global_q = q;
			continue;
		}
		if (in_list(num_vars, name, nlen)) {
			t = push(lf, C_NUM);
			if (!t)
				goto too_many;
			t->hex = hex;
			if (nlen == 1 && name[0] == 'B')
				t->field = F_BYTES_OUT;
			else if (nlen == 1 && name[0] == 'U')
				t->field = F_BYTES_IN;
			continue;
		}
		if (nlen == 2 && name[0] == 'h' &&
		    (name[1] == 'r' || name[1] == 's')) {
			t = push(lf, C_BRACE);
			if (!t)
				goto too_many;
			if (name[1] == 'r' && !lf->has_sni)
				t->sni_in_brace = 1;
			continue;
		}
		if (nlen == 1 && name[0] == 'r')
			lf->has_request = 1;
		if (in_list(addr_vars, name, nlen) && !q)
			t = push(lf, C_ADDR);
		else if (in_list(free_vars, name, nlen))
			t = push(lf, q ? C_QUOTED : C_FREE);
		else
			t = push(lf, q ? C_QUOTED : C_TOKEN);
		if (!t)
			goto too_many;
		if ((nlen == 2 && !memcmp(name, "ft", 2)) ||
		    (nlen == 1 && name[0] == 'f'))
			t->field = F_FRONTEND;
		else if (nlen == 1 && name[0] == 'b')
			t->field = F_BACKEND;
	}
	merge_separators(lf);
	merge_numbers(lf);
	/* A %hr block is the name only if no %[...sni...] came later. */
	for (size_t k = 0; k < lf->n; k++) {
		struct lf_tok *t = &lf->tok[k];
		if (t->cls == C_BRACE && t->sni_in_brace) {
			if (lf->has_sni)
				t->sni_in_brace = 0;
			else {
				t->field = F_SNI;
				lf->has_sni = 1;
			}
		}
		if (t->field == F_BYTES_OUT)
			lf->has_bytes_out = 1;
		if (t->field == F_BYTES_IN)
			lf->has_bytes_in = 1;
	}
	for (size_t f = 0; f <= F_BACKEND; f++)
		lf->ftok[f] = NO_FIELD;
	for (size_t k = 0; k < lf->n; k++)
		lf->ftok[lf->tok[k].field] = k;
	if (!lf->has_sni) {
		snprintf(err, errlen,
			 "log format: no server name field: add "
			 "SNI=%%[var(sess.sni)] (passthrough) or "
			 "SNI=%%[ssl_fc_sni] (TLS termination)");
		errno = EINVAL;
		goto fail_free;
	}
	if (!lf->has_bytes_out) {
		snprintf(err, errlen,
			 "log format: no %%B field (bytes to the client)");
		errno = EINVAL;
		goto fail_free;
	}
	build_prog(lf);
	build_segs(lf);
	*out = lf;
	return 0;
too_many:
	snprintf(err, errlen, "log format: more than %d fields or out of memory",
		 LF_MAX_TOKENS);
	errno = EINVAL;
fail_free:
	logformat_free(lf);
	*out = NULL;
	return -1;
}

int logformat_preset(const char *name, struct logformat **out, char *err,
		     size_t errlen)
{
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
		if (strcmp(presets[i].name, name))
			continue;
		if (presets[i].fmt)
			return logformat_compile(presets[i].fmt, out, err,
						 errlen);
		struct logformat *lf = calloc(1, sizeof *lf);
		if (!lf) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		lf->heuristic = 1;
		lf->has_sni = lf->has_bytes_out = 1;
		*out = lf;
		return 0;
	}
	if (!strcmp(name, "tcplog") || !strcmp(name, "httplog"))
		snprintf(err, errlen,
			 "format \"%s\": HAProxy's %s has no server name; "
			 "use %s and the matching frontend of sni-scan(8)",
			 name, name,
			 name[0] == 't' ? "tcp-sni" : "http-sni");
	else
		snprintf(err, errlen,
			 "unknown format \"%s\" (known: tcp-sni, "
			 "tcp-sni-tls, http-sni, traffic-exporter)",
			 name);
	errno = EINVAL;
	return -1;
}

const char *logformat_preset_string(const char *name)
{
	for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++)
		if (!strcmp(presets[i].name, name))
			return presets[i].fmt;
	return NULL;
}

void logformat_free(struct logformat *lf)
{
	if (!lf)
		return;
	for (size_t i = 0; lf->tok && i < lf->n; i++)
		free(lf->tok[i].lit);
	free(lf->tok);
	free(lf->prog);
	free(lf->segops);
	free(lf->segs);
	free(lf);
}

void logformat_set_sni_capture(struct logformat *lf, unsigned slot)
{
	lf->sni_capture = slot ? slot : 1;
}

int logformat_has_bytes_in(const struct logformat *lf)
{
	return lf->has_bytes_in;
}

int logformat_has_request(const struct logformat *lf)
{
	return lf->has_request;
}

int logformat_sni_is_last(const struct logformat *lf)
{
	if (lf->heuristic)
		return 0;
	return lf->n && lf->tok[lf->n - 1].field == F_SNI &&
	       lf->tok[lf->n - 1].cls == C_FREE;
}

/* ---- matching ------------------------------------------------------- */

/* No place: a field that cannot end, a number with no digits. */
#define NO_END ((size_t)-1)

/*
 * The first c in s[pos..len), or len.  Sixteen bytes per step with SSE2
 * (every x86-64 has it), else eight with the classic "has zero byte" bit
 * trick on x ^ c...c: words in log lines are 5 to 30 bytes, too short for
 * memchr's set-up to pay, too long for a byte loop.  Never reads at or
 * past len.
 */
static inline size_t find_byte(const char *s, size_t pos, size_t len, char c)
{
#ifdef __SSE2__
	const __m128i pat16 = _mm_set1_epi8(c);
	while (pos + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + pos));
		unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, pat16));
		if (z)
			return pos + (size_t)__builtin_ctz(z);
		pos += 16;
	}
#endif
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	const uint64_t pat = ones * (unsigned char)c;
	while (pos + 8 <= len) {
		uint64_t w;
		memcpy(&w, s + pos, 8);
		w ^= pat;
		uint64_t z = (w - ones) & ~w & highs;
		if (z)
			return pos + (size_t)(__builtin_ctzll(z) >> 3);
		pos += 8;
	}
	while (pos < len && s[pos] != c)
		pos++;
	return pos;
}

/* The first byte at or after pos in s[..len) that is not a decimal digit,
 * or len.  Numbers are short but many (twelve a line in tcp-sni). */
static inline size_t skip_digits(const char *s, size_t pos, size_t len)
{
#ifdef __SSE2__
	while (pos + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + pos));
		/* Signed compares: bytes >= 0x80 are below '0', not digits. */
		__m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8('0')),
					   _mm_cmpgt_epi8(x, _mm_set1_epi8('9')));
		unsigned z = (unsigned)_mm_movemask_epi8(bad);
		if (z)
			return pos + (size_t)__builtin_ctz(z);
		pos += 16;
	}
#endif
	while (pos < len && (unsigned)(s[pos] - '0') < 10)
		pos++;
	return pos;
}

/*
 * The end of a number at pos (C_NUM): "-" alone (a value HAProxy does not
 * know), else an optional sign and decimal digits, hex digits with +X.
 * NO_END if there are no digits.
 */
static inline size_t num_end(const char *s, size_t pos, size_t len, int hex)
{
	size_t p = pos;
	if (p < len && s[p] == '-' &&
	    (p + 1 == len || s[p + 1] < '0' || s[p + 1] > '9'))
		return pos + 1;
	if (p < len && (s[p] == '+' || s[p] == '-'))
		p++;
	size_t d = p;
	if (hex)
		while (p < len && ((s[p] >= '0' && s[p] <= '9') ||
				   (s[p] >= 'A' && s[p] <= 'F') ||
				   (s[p] >= 'a' && s[p] <= 'f')))
			p++;
	else
		p = skip_digits(s, p, len);
	return p == d ? NO_END : p;
}

/* The end of n numbers joined by sep at pos (C_NUMSEQ), or NO_END. */
static inline size_t numseq_end(const char *s, size_t pos, size_t len,
				unsigned n, char sep)
{
	for (unsigned k = 0; k < n; k++) {
		if (k) {
			if (pos >= len || s[pos] != sep)
				return NO_END;
			pos++;
		}
		if (pos < len && (s[pos] == '-' || s[pos] == '+'))
			pos++;
		size_t d = pos;
		pos = skip_digits(s, pos, len);
		/* "-" alone: a value HAProxy does not know. */
		if (pos == d && !(d > 0 && s[d - 1] == '-'))
			return NO_END;
	}
	return pos;
}

/* The end of the longest address at pos (C_ADDR); pos if none. */
static inline size_t addr_end(const char *s, size_t pos, size_t len)
{
	size_t limit = pos;
	while (limit < len && is_addr_char(s[limit]))
		limit++;
	/* HAProxy prints "unix" for a UNIX socket, "-" for no address. */
	if (limit == pos && len - pos >= 4 && !memcmp(s + pos, "unix", 4))
		limit = pos + 4;
	else if (limit == pos && pos < len && s[pos] == '-')
		limit = pos + 1;
	return limit;
}

#ifdef __SSE2__
/* The bytes of an address among 16: [0-9A-Fa-f:.]. */
static inline unsigned addr16(__m128i x)
{
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	__m128i h = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)),
				 _mm_set1_epi8('a'));
	__m128i ok = _mm_or_si128(
		_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d),
		_mm_cmpeq_epi8(_mm_min_epu8(h, _mm_set1_epi8(5)), h));
	ok = _mm_or_si128(ok, _mm_or_si128(
		_mm_cmpeq_epi8(x, _mm_set1_epi8(':')),
		_mm_cmpeq_epi8(x, _mm_set1_epi8('.'))));
	return (unsigned)_mm_movemask_epi8(ok);
}
#endif

/*
 * An address at pos: with c 0, its end (addr_end); else the first c in
 * it after its first byte.  NO_END if the address is empty, or holds no
 * such c.  One 16-byte step for the usual IPv4 address and port.
 */
static inline size_t addr_first(const char *s, size_t pos, size_t len, char c)
{
#ifdef __SSE2__
	if (pos + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + pos));
		unsigned na = ~addr16(x) & 0xffffu;
		if (!(na & 1)) { /* not empty */
			/* The bytes of the address among these 16. */
			unsigned in = na ? (na & -na) - 1 : 0xffffu;
			if (!c && na)
				return pos + (size_t)__builtin_ctz(na);
			if (!c) { /* longer than 16 bytes */
				size_t p = pos + 16;
				while (p < len && is_addr_char(s[p]))
					p++;
				return p;
			}
			unsigned mc = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(x, _mm_set1_epi8(c))) & in & ~1u;
			if (mc)
				return pos + (size_t)__builtin_ctz(mc);
			if (na)
				return NO_END;
		}
	}
#endif
	size_t limit = addr_end(s, pos, len);
	if (limit == pos)
		return NO_END;
	if (!c)
		return limit;
	size_t e = find_byte(s, pos + 1, limit, c);
	return e < limit ? e : NO_END;
}

/*
 * A word at pos followed by literal text that starts with c (not a
 * space): the word's limit (the first space at or after pos, or len) goes
 * to *limit; returns the position of c if it occurs exactly once in
 * s[pos+1..*limit), else 0.  What find_byte(' ') and then single_end()
 * compute, in one pass over the bytes.
 */
static size_t word_and_byte(const char *s, size_t pos, size_t len, char c,
			    size_t *limit)
{
	size_t p = pos, q = 0;
	unsigned seen = 0; /* 0, 1, or 2 for "more than one" */
#ifdef __SSE2__
	const __m128i sp16 = _mm_set1_epi8(' '), c16 = _mm_set1_epi8(c);
	while (p + 16 <= len) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + p));
		unsigned ms = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp16));
		unsigned mc = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c16));
		if (p == pos)
			mc &= ~1u; /* the word's first byte is never its end */
		if (ms)
			mc &= (1u << __builtin_ctz(ms)) - 1;
		if (mc) {
			if (!q)
				q = p + (size_t)__builtin_ctz(mc);
			seen += 1 + ((mc & (mc - 1)) != 0);
		}
		if (ms) {
			*limit = p + (size_t)__builtin_ctz(ms);
			return seen == 1 ? q : 0;
		}
		p += 16;
	}
#endif
	for (; p < len && s[p] != ' '; p++)
		if (s[p] == c && p > pos) {
			if (!q)
				q = p;
			seen++;
		}
	*limit = p;
	return seen == 1 ? q : 0;
}

struct span {
	size_t off, len;
};

struct mstate {
	const struct logformat *lf;
	const char *s;
	size_t len;
	unsigned steps;
	struct span sp[LF_MAX_TOKENS];
};

static int match_from(struct mstate *m, size_t i, size_t pos);

/* Try the field at token i as s[pos..end), then the rest. */
static int try_end(struct mstate *m, size_t i, size_t pos, size_t end)
{
	if (++m->steps > LF_MAX_STEPS)
		return 0;
	m->sp[i].off = pos;
	m->sp[i].len = end - pos;
	return match_from(m, i + 1, end);
}

/*
 * Where the variable-width field at token i may end, at or after q and no
 * further than limit: the first place the token after it can begin, or
 * NO_END.  The candidates, shortest first, are candidate(q0),
 * candidate(that + 1), ...
 */
static size_t candidate(const struct mstate *m, size_t i, size_t q,
			size_t limit)
{
	const struct logformat *lf = m->lf;

	if (q > limit)
		return NO_END;
	if (i + 1 == lf->n)
		return limit == m->len ? limit : NO_END;
	const struct lf_tok *next = &lf->tok[i + 1];
	if (next->cls == C_LIT) {
		if (q >= m->len)
			return NO_END;
		const char *hit = memchr(m->s + q, next->lit[0], limit - q);
		return hit ? (size_t)(hit - m->s) : NO_END;
	}
	if (next->cls == C_SEP) {
		/* The field ends at a space, or at the end of the line. */
		const char *hit = q < limit ?
			memchr(m->s + q, ' ', limit - q) : NULL;
		return hit ? (size_t)(hit - m->s) : limit;
	}
	/* Two fields back to back: every position is a candidate. */
	return q;
}

/*
 * Try the candidate ends of a variable-width field at token i starting at
 * pos, no further than limit, shortest first.
 */
static int try_candidates(struct mstate *m, size_t i, size_t pos,
			  size_t limit, size_t min_len)
{
	for (size_t e = candidate(m, i, pos + min_len, limit); e != NO_END;
	     e = candidate(m, i, e + 1, limit)) {
		if (try_end(m, i, pos, e))
			return 1;
		if (m->steps > LF_MAX_STEPS)
			return 0;
	}
	return 0;
}

/*
 * A field followed by literal text whose first byte occurs exactly once in
 * s[pos+1..limit): the field has one reading.  Records it, stores the end
 * in *end and returns 1; 0 means the caller must try the candidates.
 */
static int single_end(struct mstate *m, size_t i, size_t pos, size_t limit,
		      size_t *end)
{
	const struct logformat *lf = m->lf;
	if (i + 1 >= lf->n || lf->tok[i + 1].cls != C_LIT || limit <= pos + 1)
		return 0;
	char c = lf->tok[i + 1].lit[0];
	const char *s = m->s;
	size_t q = find_byte(s, pos + 1, limit, c);
	if (q >= limit || find_byte(s, q + 1, limit, c) < limit)
		return 0;
	/* Beyond limit the field cannot reach: one candidate only. */
	m->sp[i].off = pos;
	m->sp[i].len = q - pos;
	*end = q;
	return 1;
}

static int match_from(struct mstate *m, size_t i, size_t pos)
{
	const struct logformat *lf = m->lf;
	const char *s = m->s;
	size_t len = m->len;

	for (; i < lf->n; i++) {
		const struct lf_tok *t = &lf->tok[i];
		switch (t->cls) {
		case C_LIT:
			/* Most literals are one byte ("/", ":", "["): no
			 * memcmp call for those. */
			if (len - pos < t->litlen || s[pos] != t->lit[0] ||
			    (t->litlen > 1 &&
			     memcmp(s + pos + 1, t->lit + 1, t->litlen - 1)))
				return 0;
			pos += t->litlen;
			break;
		case C_SEP:
			if (pos == 0 || s[pos - 1] == ' ')
				break;
			if (pos == len)
				break; /* fields after it may print nothing */
			if (pos >= len || s[pos] != ' ')
				return 0;
			pos++;
			break;
		case C_NUM: {
			size_t e = num_end(s, pos, len, t->hex);
			if (e == NO_END)
				return 0;
			m->sp[i].off = pos;
			m->sp[i].len = e - pos;
			pos = e;
			break;
		}
		case C_NUMSEQ:
			pos = numseq_end(s, pos, len, t->nseq, t->sep);
			if (pos == NO_END)
				return 0;
			break;
		case C_TOKEN: {
			if (i + 1 < lf->n && lf->tok[i + 1].cls == C_LIT &&
			    lf->tok[i + 1].lit[0] != ' ') {
				/* single_end() in one pass: "%b/%s", "[%t]". */
				size_t limit;
				size_t q = word_and_byte(s, pos, len,
							 lf->tok[i + 1].lit[0],
							 &limit);
				if (q && limit > pos + 1) {
					m->sp[i].off = pos;
					m->sp[i].len = q - pos;
					pos = q;
					break;
				}
				return try_candidates(m, i, pos, limit, 1);
			}
			size_t limit = find_byte(s, pos, len, ' ');
			if (i + 1 == lf->n || lf->tok[i + 1].cls == C_SEP ||
			    (lf->tok[i + 1].cls == C_LIT &&
			     lf->tok[i + 1].lit[0] == ' ')) {
				/* A word before a space or the end has one
				 * reading: no need to recurse (the hot path). */
				if (limit == pos || (i + 1 == lf->n && limit != len))
					return 0;
				m->sp[i].off = pos;
				m->sp[i].len = limit - pos;
				pos = limit;
				break;
			}
			if (single_end(m, i, pos, limit, &pos))
				break;
			return try_candidates(m, i, pos, limit, 1);
		}
		case C_ADDR: {
			size_t limit = addr_end(s, pos, len);
			if (limit > pos && i + 1 < lf->n &&
			    lf->tok[i + 1].cls == C_LIT &&
			    !is_addr_char(lf->tok[i + 1].lit[0])) {
				/* Text after the address cannot be inside
				 * it: one reading. */
				m->sp[i].off = pos;
				m->sp[i].len = limit - pos;
				pos = limit;
				break;
			}
			if (single_end(m, i, pos, limit, &pos))
				break;
			return try_candidates(m, i, pos, limit, 1);
		}
		case C_FREE:
			return try_candidates(m, i, pos, len, 0);
		case C_QUOTED: {
			if (pos >= len || s[pos] != '"') {
				const char *sp = memchr(s + pos, ' ', len - pos);
				size_t limit = sp ? (size_t)(sp - s) : len;
				return try_candidates(m, i, pos, limit, 1);
			}
			/* Ends at a closing quote not escaped by +E. */
			for (size_t q = pos + 1; q < len; q++) {
				if (s[q] == '\\') {
					q++;
					continue;
				}
				if (s[q] != '"')
					continue;
				if (try_end(m, i, pos, q + 1))
					return 1;
				if (m->steps > LF_MAX_STEPS)
					return 0;
			}
			return 0;
		}
		case C_BRACE: {
			if (pos >= len || s[pos] != '{') {
				m->sp[i].off = pos;
				m->sp[i].len = 0;
				break;
			}
			for (size_t q = pos + 1; q < len; q++) {
				const char *hit = memchr(s + q, '}', len - q);
				if (!hit)
					return 0;
				q = (size_t)(hit - s);
				if (try_end(m, i, pos, q + 1))
					return 1;
				if (m->steps > LF_MAX_STEPS)
					return 0;
			}
			return 0;
		}
		}
		/* Half the tokens are literals right after a field ("/",
		 * " ", "] "): compare the next one here, as its own turn of
		 * the loop would, without the dispatch. */
		if (i + 1 < lf->n && t[1].cls == C_LIT) {
			const struct lf_tok *l = t + 1;
			if (len - pos < l->litlen || s[pos] != l->lit[0] ||
			    (l->litlen > 1 &&
			     memcmp(s + pos + 1, l->lit + 1, l->litlen - 1)))
				return 0;
			pos += l->litlen;
			i++;
		}
	}
	return pos == len;
}

/* Lines up to this long (HAProxy's default line limit) are read in one
 * pass with byte-class masks; longer ones by the general matcher. */
#define MASK_WORDS 16
#define MASK_MAX (MASK_WORDS * 64 - 1)

/*
 * Bit i of sp[] is set if byte i of the line is a space, of nd[] if it is
 * not a decimal digit; both have every bit from len on set, so a search
 * for the next set bit from at most len always ends.
 */
struct masks {
	uint64_t sp[MASK_WORDS], nd[MASK_WORDS];
};

#ifdef __SSE2__
/* Spaces and decimal digits among 16 bytes, one bit each. */
static inline void classify16(const char *p, unsigned *sp, unsigned *dg)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	*sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
	*dg = (unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
}
#endif

/* The word holding bit len: sp and dg are its bits below len (len - c <
 * 64); every bit from len on is set. */
static inline void masks_end(struct masks *k, size_t c, size_t len,
			     uint64_t sp, uint64_t dg)
{
	uint64_t past = ~0ULL << (len - c);
	k->sp[c >> 6] = sp | past;
	k->nd[c >> 6] = ~dg | past;
}

/* Sixteen bytes per step, 64 per mask word; the last, partial step of a
 * line loads its last sixteen bytes again rather than reading past its
 * end. */
static void masks_fill(struct masks *k, const char *s, size_t len)
{
	uint64_t sp = 0, dg = 0;
	size_t c = 0;
#ifdef __SSE2__
	for (; c + 64 <= len; c += 64) {
		unsigned s0, s1, s2, s3, d0, d1, d2, d3;
		classify16(s + c, &s0, &d0);
		classify16(s + c + 16, &s1, &d1);
		classify16(s + c + 32, &s2, &d2);
		classify16(s + c + 48, &s3, &d3);
		k->sp[c >> 6] = s0 | (uint64_t)s1 << 16 | (uint64_t)s2 << 32 |
				(uint64_t)s3 << 48;
		k->nd[c >> 6] = ~(d0 | (uint64_t)d1 << 16 |
				  (uint64_t)d2 << 32 | (uint64_t)d3 << 48);
	}
	if (len >= 16) {
		for (size_t r = c; r < len; r += 16) {
			size_t at = r + 16 <= len ? r : len - 16;
			unsigned a, b;
			classify16(s + at, &a, &b);
			sp |= (uint64_t)(a >> (r - at)) << (r - c);
			dg |= (uint64_t)(b >> (r - at)) << (r - c);
		}
	} else
#endif
	{
		for (size_t r = c; r < len; r++) {
			sp |= (uint64_t)(s[r] == ' ') << (r - c);
			dg |= (uint64_t)((unsigned)(s[r] - '0') <= 9) << (r - c);
		}
	}
	masks_end(k, c, len, sp, dg);
}

#ifdef HAVE_AVX2_PATH
/* Spaces and decimal digits among 32 bytes, one bit each. */
__attribute__((target("avx2"))) static inline void
classify32(const char *p, uint64_t *sp, uint64_t *dg)
{
	__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
	__m256i d = _mm256_sub_epi8(x, _mm256_set1_epi8('0'));
	*sp = (uint32_t)_mm256_movemask_epi8(
		_mm256_cmpeq_epi8(x, _mm256_set1_epi8(' ')));
	*dg = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
		_mm256_min_epu8(d, _mm256_set1_epi8(9)), d));
}

/*
 * The same, 32 bytes per step, on a CPU with AVX2 (checked when the
 * format is compiled; the SSE2 version is the baseline every x86-64
 * has).  The last 32 bytes of the line are loaded again for its partial
 * step, rather than read past its end.  Lines under 32 bytes take the
 * SSE2 version.
 */
__attribute__((target("avx2"))) static void
masks_fill_avx2(struct masks *k, const char *s, size_t len)
{
	uint64_t s0, s1, g0, g1, sp = 0, dg = 0;
	size_t c = 0;

	if (len < 32) {
		masks_fill(k, s, len);
		return;
	}
	for (; c + 64 <= len; c += 64) {
		classify32(s + c, &s0, &g0);
		classify32(s + c + 32, &s1, &g1);
		k->sp[c >> 6] = s0 | s1 << 32;
		k->nd[c >> 6] = ~(g0 | g1 << 32);
	}
	size_t rem = len - c;
	if (rem > 32) {
		/* Bytes c..c+31, then c+32..len from the last 32. */
		classify32(s + c, &s0, &g0);
		classify32(s + len - 32, &s1, &g1);
		sp = s0 | (s1 >> (64 - rem)) << 32;
		dg = g0 | (g1 >> (64 - rem)) << 32;
	} else if (rem) {
		classify32(s + len - 32, &s1, &g1);
		sp = s1 >> (32 - rem);
		dg = g1 >> (32 - rem);
	}
	masks_end(k, c, len, sp, dg);
}
#endif

/* The first set bit at or after pos (pos <= len). */
static inline size_t next_set(const uint64_t *m, size_t pos)
{
	size_t w = pos >> 6;
	uint64_t x = m[w] >> (pos & 63);
	while (!x)
		x = m[++w], pos = w << 6;
	return pos + (size_t)__builtin_ctzll(x);
}

/* The end of the digits at pos (pos <= len), or NO_END if pos holds no
 * digit: one load and shift for the usual short number. */
static inline size_t digits_at(const uint64_t *nd, size_t pos)
{
	uint64_t x = nd[pos >> 6] >> (pos & 63);
	if (x & 1)
		return NO_END;
	if (x)
		return pos + (size_t)__builtin_ctzll(x);
	return next_set(nd, (pos | 63) + 1);
}

/* The end of a number at pos, as num_end() (decimal) reads it. */
static inline size_t num_end_m(const struct masks *k, const char *s,
			       size_t pos, size_t len)
{
	size_t p = digits_at(k->nd, pos);
	if (p != NO_END)
		return p; /* the usual: a digit first */
	p = pos;
	if (p < len && (s[p] == '-' || s[p] == '+')) {
		if (s[p] == '-' &&
		    (p + 1 == len || s[p + 1] < '0' || s[p + 1] > '9'))
			return pos + 1;
		p++;
	}
	size_t e = next_set(k->nd, p);
	return e == p ? NO_END : e;
}

/* The end of n numbers joined by sep, as numseq_end() reads them. */
static inline size_t numseq_end_m(const struct masks *k, const char *s,
				  size_t pos, size_t len, unsigned n, char sep)
{
	for (unsigned j = 0;;) {
		size_t e = digits_at(k->nd, pos); /* a digit first */
		if (e != NO_END) {
			pos = e;
		} else {
			if (pos < len && (s[pos] == '-' || s[pos] == '+'))
				pos++;
			size_t d = pos;
			pos = next_set(k->nd, pos);
			if (pos == d && !(d > 0 && s[d - 1] == '-'))
				return NO_END;
		}
		if (++j == n)
			return pos;
		if (pos >= len || s[pos] != sep)
			return NO_END;
		pos++;
	}
}

/* Does the literal of step o start at pos?  Eight bytes at once when the
 * line has them (most literals are one to five bytes). */
static inline int lit_at(const char *s, size_t pos, size_t len,
			 const struct lf_op *o)
{
	if (len - pos >= 8 && o->litlen <= 8) {
		uint64_t w;
		memcpy(&w, s + pos, 8);
		return (w & o->litm) == o->litw;
	}
	return len - pos >= o->litlen && !memcmp(s + pos, o->lit, o->litlen);
}

/*
 * The line read in one pass, every field taking the first reading the
 * general matcher tries: its shortest end after which the next token can
 * begin.  That matcher searches depth first, shortest readings first, so
 * when this reading matches the whole line it is the one the general
 * matcher finds as well (the first leaf of the same search), field for
 * field.  run_ops reads steps o..end from pos: returns the position after
 * them with the spans in m->sp, or NO_END when this reading does not
 * match, and the general matcher must decide (it may find a longer
 * reading of some field).  match_first reads the whole line so.
 */
static size_t run_ops(struct mstate *m, const struct masks *k,
		      const struct lf_op *o, const struct lf_op *end,
		      size_t pos)
{
	const char *s = m->s;
	size_t len = m->len;

	for (; o < end; o++) {
		size_t e;
		switch (o->kind) {
		case OP_LIT:
			e = pos;
			break;
		case OP_SEP:
			e = pos;
			if (pos == 0 || s[pos - 1] == ' ' || pos == len)
				break;
			e = s[pos] == ' ' ? pos + 1 : NO_END;
			break;
		case OP_NUM:
			e = num_end_m(k, s, pos, len);
			break;
		case OP_NUMSEQ:
			e = numseq_end_m(k, s, pos, len, o->nseq, o->c);
			break;
		case OP_WORD:
			e = next_set(k->sp, pos);
			if (e == pos)
				e = NO_END;
			break;
		case OP_WORD_C:
			/* The first c after the first byte, before a space. */
			if (pos >= len || s[pos] == ' ')
				return NO_END;
			e = find_byte(s, pos + 1, next_set(k->sp, pos), o->c);
			if (e == len || s[e] != o->c)
				e = NO_END;
			break;
		case OP_ADDR:
			/* With c, the first c after the first byte, in the
			 * address: "127.0.0.1:80" ends at its ':'.  "::1:80"
			 * does not match so: the general matcher reads it. */
			e = addr_first(s, pos, len, o->c);
			break;
		case OP_REST:
			e = len;
			break;
		case OP_FREE_C:
			e = find_byte(s, pos, len, o->c);
			if (e == len)
				e = NO_END;
			break;
		case OP_NUM_SP:
			e = num_end_m(k, s, pos, len);
			goto space;
		case OP_NUMSEQ_SP:
			e = numseq_end_m(k, s, pos, len, o->nseq, o->c);
			goto space;
		case OP_WORD_SP:
			e = next_set(k->sp, pos);
			if (e == pos)
				return NO_END;
			goto space;
		case OP_GENERAL:
			return match_from(m, o->tok, pos) ? len : NO_END;
		default:
			__builtin_unreachable();
		}
		if (e == NO_END)
			return NO_END;
		/* Every token's span, fields or not: a store is cheaper than
		 * a branch. */
		m->sp[o->tok].off = pos;
		m->sp[o->tok].len = e - pos;
		pos = e;
		if (o->litlen == 1) {
			if (pos >= len || s[pos] != o->lit0)
				return NO_END;
			pos++;
		} else if (o->litlen) {
			if (!lit_at(s, pos, len, o))
				return NO_END;
			pos += o->litlen;
		}
		continue;
	space:
		/* NO_END is past len too. */
		if (e >= len || s[e] != ' ')
			return NO_END;
		m->sp[o->tok].off = pos;
		m->sp[o->tok].len = e - pos;
		pos = e + 1;
	}
	return pos;
}

static int match_first(struct mstate *m, const struct masks *k)
{
	return run_ops(m, k, m->lf->prog, m->lf->prog + m->lf->nprog, 0) ==
	       m->len;
}

/*
 * A number of one to eight decimal digits at v, with eight bytes readable
 * from v: the digits side by side in one word, combined in three
 * multiplications rather than one a digit.
 */
static inline uint64_t dec8(const char *v, size_t n)
{
	uint64_t w;
	memcpy(&w, v, 8);
	/* Bytes past the number only borrow from bytes past it. */
	w -= 0x3030303030303030ULL;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	w <<= 8 * (8 - n); /* the bytes past it out, zeros (digits) in front */
#else
	w = __builtin_bswap64(w) << (8 * (8 - n));
#endif
	w = w * 10 + (w >> 8);
	w = ((w & 0x000000ff000000ffULL) * (100 + (1000000ULL << 32)) +
	     ((w >> 16) & 0x000000ff000000ffULL) * (1 + (10000ULL << 32))) >>
	    32;
	return w;
}

static uint64_t span_u64(const char *s, size_t len, int hex, int *plus)
{
	uint64_t v = 0;
	size_t i = 0;
	*plus = 0;
	if (!hex && len && len <= 19 && (unsigned)(s[0] - '0') < 10) {
		/* The usual case: 19 decimal digits cannot overflow.  Any
		 * other byte takes the general loop below. */
		for (; i < len; i++) {
			unsigned d = (unsigned)(s[i] - '0');
			if (d > 9)
				break;
			v = v * 10 + d;
		}
		if (i == len)
			return v;
		v = 0;
		i = 0;
	}
	if (len && (s[0] == '+' || s[0] == '-')) {
		*plus = s[0] == '+';
		if (s[0] == '-')
			return 0; /* a timer's -1, never a byte count */
		i++;
	}
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return 0;
		uint64_t base = hex ? 16 : 10;
		/* Saturate, never wrap a counter; no division per digit. */
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, (uint64_t)d, &v))
			return UINT64_MAX;
	}
	return v;
}

/* The value of a number field: a C_NUM that starts with a digit is all
 * digits, the usual byte count one word's work. */
static inline uint64_t span_num(const struct lf_tok *t, const char *v,
				size_t vl, const char *end, int *plus)
{
	if (t->cls == C_NUM && !t->hex && vl - 1 < 8 && end - v >= 8 &&
	    (unsigned)(v[0] - '0') < 10) {
		*plus = 0;
		return dec8(v, vl);
	}
	return span_u64(v, vl, t->hex, plus);
}

/* The bits of mask m for the w bytes from pos, if they lie in one mask
 * word; else every bit set, which no caller takes for a plain field. */
static inline uint64_t mask_span(const uint64_t *m, size_t pos, size_t w)
{
	unsigned sh = pos & 63;
	if (sh + w > 64)
		return ~0ULL;
	return (m[pos >> 6] >> sh) & (~0ULL >> (64 - w));
}

#ifdef __SSE2__
/* The non-digits (and bytes c) among the 16 bytes at p, one bit each. */
static inline unsigned nondigits16(const char *p, char c, unsigned *cm)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	*cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c)));
	return ~(unsigned)_mm_movemask_epi8(
		_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d));
}
#endif

/*
 * The non-digits among the w bytes at a (0 < w), one bit each, and in *cm
 * the bytes c among them if *cm_ok: from the line itself when 16 bytes
 * from a are in it and the field fits (one load for both), else from the
 * mask (every bit set when the field spans two mask words).
 */
static inline uint64_t field_nd(const struct masks *k, const char *s,
				size_t a, size_t w, size_t len, char c,
				uint64_t *cm, int *cm_ok)
{
	*cm_ok = 0;
#ifdef __SSE2__
	if (w <= 16 && a + 16 <= len) {
		unsigned m, low = (unsigned)(0xffffu >> (16 - w));
		uint64_t d = nondigits16(s + a, c, &m) & low;
		*cm = m & low;
		*cm_ok = 1;
		return d;
	}
#endif
	(void)s;
	(void)len;
	(void)c;
	return mask_span(k->nd, a, w);
}

/*
 * Are the w bytes at a (1 < w < 64) n numbers of digits joined by single
 * c?  0 also for what only numseq_end_m can say.
 */
static inline int numseq_plain(const struct masks *k, const char *s,
			       size_t a, size_t w, size_t len, unsigned n,
			       char c)
{
	uint64_t cm;
	int cm_ok;
	uint64_t d = field_nd(k, s, a, w, len, c, &cm, &cm_ok);
	if ((d & 1) || (d & (d >> 1)) || ((d >> (w - 1)) & 1))
		return 0;
	if (cm_ok) {
		if (d != cm)
			return 0;
	} else {
		for (uint64_t x = d; x; x &= x - 1)
			if (s[a + (size_t)__builtin_ctzll(x)] != c)
				return 0;
	}
	/* n - 1 seps: one bit left after clearing n - 2. */
	for (unsigned j = 2; j < n; j++)
		d &= d - 1;
	return d && !(d & (d - 1));
}

/*
 * The line read by segments (build_segs): segment i is the line up to its
 * space i, each read for the steps between those spaces, then the tail.
 * The spaces a line of the format holds before its tail are exactly the
 * literal ones, since no step there reads a space: so each segment is
 * read as run_ops would read it, its end known in advance.  The same
 * result as match_first, field for field; 1 if it matched.
 */
static inline __attribute__((always_inline)) int
segs_read(struct mstate *m, const struct masks *k, const struct lf_seg *segs,
	  size_t nb, int tail_rest)
{
	const struct logformat *lf = m->lf;
	const char *s = m->s;
	size_t len = m->len, a = 0;
	/* The spaces not yet passed, of the mask word for bytes base on. */
	size_t base = 0;
	uint64_t spaces = k->sp[0];

#pragma GCC unroll 16
	for (size_t i = 0; i < nb; i++) {
		const struct lf_seg *g = &segs[i];
		while (!spaces) {
			base += 64;
			if (base > len)
				return 0;
			spaces = k->sp[base >> 6];
		}
		size_t b = base + (unsigned)__builtin_ctzll(spaces);
		size_t w = b - a;
		spaces &= spaces - 1;
		if (b >= len)
			return 0;
		switch (g->kind) {
		case SEG_WORD:
			if (!w)
				return 0;
			break;
		case SEG_NUM: {
			uint64_t cm;
			int cm_ok;
			if (w && !field_nd(k, s, a, w, len, ' ', &cm, &cm_ok))
				break;
			if (num_end_m(k, s, a, len) != b)
				return 0;
			break;
		}
		case SEG_NUMSEQ:
			if (w > 2 && w < 64 &&
			    numseq_plain(k, s, a, w, len, g->nseq, g->c))
				break;
			if (numseq_end_m(k, s, a, len, g->nseq, g->c) != b)
				return 0;
			break;
		case SEG_WORD2: {
			if (!w)
				return 0;
			size_t q = find_byte(s, a + 1, b, g->c);
			if (q + 1 >= b)
				return 0;
			if (g->store & 2) {
				m->sp[g->tok2].off = q + 1;
				m->sp[g->tok2].len = b - q - 1;
			}
			w = q - a;
			break;
		}
		case SEG_ADDR: {
			/* The port's number as SEG_NUM reads one. */
			size_t q = addr_first(s, a, len, g->c);
			if (q == NO_END || q + 1 >= b)
				return 0;
			size_t pw = b - q - 1;
			if (mask_span(k->nd, q + 1, pw) &&
			    num_end_m(k, s, q + 1, len) != b)
				return 0;
			if (g->store & 2) {
				m->sp[g->tok2].off = q + 1;
				m->sp[g->tok2].len = pw;
			}
			w = q - a;
			break;
		}
		case SEG_WRAP:
			/* OP_WORD_C's first c is the segment's last byte. */
			if (w < 3 || s[a] != (char)g->nseq ||
			    find_byte(s, a + 2, b, g->c) != b - 1)
				return 0;
			a++;
			w -= 2;
			break;
		default:
			if (run_ops(m, k, lf->segops + g->op,
				    lf->segops + g->op + g->nops, a) != b)
				return 0;
			break;
		}
		if (g->store & 1) {
			m->sp[g->tok].off = a;
			m->sp[g->tok].len = w;
		}
		a = b + 1;
	}
	if (tail_rest) {
		const struct lf_op *o = &lf->segops[lf->tail];
		if (!lit_at(s, a, len, o))
			return 0;
		m->sp[o[1].tok].off = a + o->litlen;
		m->sp[o[1].tok].len = len - a - o->litlen;
		return 1;
	}
	return run_ops(m, k, lf->segops + lf->tail, lf->segops + lf->nsegops,
		       a) == len;
}

static __attribute__((noinline)) int match_segs(struct mstate *m,
					       const struct masks *k)
{
	return segs_read(m, k, m->lf->segs, m->lf->nsegs, m->lf->tail_rest);
}

static __attribute__((noinline)) int match_segs_tcp(struct mstate *m,
						   const struct masks *k)
{
	return segs_read(m, k, tcp_sni_segs, TCP_SNI_NSEGS, 1);
}

/* The one-pass readings of a line no longer than MASK_MAX: by segments
 * if the format has them, else (or if that fails) by steps; 1 if one of
 * them matched. */
static int match_masked(struct mstate *m)
{
	struct masks k;

	if (m->len > MASK_MAX)
		return 0;
#ifdef HAVE_AVX2_PATH
	if (m->lf->avx2)
		masks_fill_avx2(&k, m->s, m->len);
	else
#endif
		masks_fill(&k, m->s, m->len);
	if ((m->lf->seg_mode == SEGS_TCP && match_segs_tcp(m, &k)) ||
	    (m->lf->seg_mode == SEGS_ANY && match_segs(m, &k)))
		return 1;
	m->steps = 0;
	return match_first(m, &k);
}

static int match_heuristic(const char *s, size_t len, struct lf_result *r)
{
	/* The old daemon: split on blanks, find the word starting with
	 * SNI=, take the last all-digit word before it as bytes. */
	size_t i = 0;
	const char *num = NULL;
	size_t numlen = 0;
	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		size_t w = i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		size_t wl = i - w;
		if (wl == 0)
			break;
		if (wl >= 4 && !memcmp(s + w, "SNI=", 4)) {
			if (!num)
				return LF_NOMATCH;
			int plus;
			r->sni = s + w + 4;
			r->sni_len = wl - 4;
			r->bytes_out = span_u64(num, numlen, 0, &plus);
			r->logasap = plus;
			return LF_MATCH;
		}
		size_t k = (s[w] == '+') ? 1 : 0;
		if (k < wl) {
			size_t d = k;
			while (d < wl && s[w + d] >= '0' && s[w + d] <= '9')
				d++;
			if (d == wl) {
				num = s + w;
				numlen = wl;
			}
		}
	}
	return LF_NOMATCH;
}

/* The text of token i (of tok) in the line m matched, quotes of a quoted
 * field off; returns the token. */
static inline const struct lf_tok *field_span(const struct lf_tok *tok,
					      const struct mstate *m,
					      size_t i, const char **v,
					      size_t *vl)
{
	const struct lf_tok *t = &tok[i];
	*v = m->s + m->sp[i].off;
	*vl = m->sp[i].len;
	if (t->cls == C_QUOTED && *vl >= 2 && (*v)[0] == '"') {
		(*v)++;
		*vl -= 2;
	}
	return t;
}

/*
 * The fields of the line m matched into r, from the spans of their tokens
 * ftok[field] (NO_FIELD: the format lacks it), of classes tok[].  Field by field in straight
 * code, not a loop over a switch: an indirect jump per field, for five
 * fields a line.
 */
static inline __attribute__((always_inline)) void
fields_put(const struct logformat *lf, const struct mstate *m,
	   struct lf_result *r, const size_t *ftok, const struct lf_tok *tok)
{
	const char *v;
	size_t vl;
	int plus;
	if (ftok[F_SNI] != NO_FIELD) {
		const struct lf_tok *t = field_span(tok, m, ftok[F_SNI], &v, &vl);
		if (t->cls == C_BRACE) {
			/* {a|b|c}: take slot sni_capture.  An empty block
			 * leaves the name unset, as the loop over fields
			 * this replaced did. */
			if (vl < 2) {
				v = NULL;
				vl = 0;
			} else {
				const char *p = v + 1, *end = v + vl - 1;
				for (unsigned k = 1; k < lf->sni_capture; k++) {
					const char *bar = memchr(p, '|',
						(size_t)(end - p));
					if (!bar) {
						p = end;
						break;
					}
					p = bar + 1;
				}
				const char *bar = memchr(p, '|', (size_t)(end - p));
				v = p;
				vl = (size_t)((bar ? bar : end) - p);
				r->sni_hash_escaped = 1;
			}
		}
		r->sni = v;
		r->sni_len = vl;
	}
	if (ftok[F_BYTES_OUT] != NO_FIELD) {
		const struct lf_tok *t = field_span(tok, m, ftok[F_BYTES_OUT], &v, &vl);
		r->bytes_out = span_num(t, v, vl, m->s + m->len, &plus);
		r->logasap = plus;
	}
	if (ftok[F_BYTES_IN] != NO_FIELD) {
		const struct lf_tok *t = field_span(tok, m, ftok[F_BYTES_IN], &v, &vl);
		r->bytes_in = span_num(t, v, vl, m->s + m->len, &plus);
		r->has_bytes_in = 1;
	}
	if (ftok[F_FRONTEND] != NO_FIELD) {
		field_span(tok, m, ftok[F_FRONTEND], &v, &vl);
		/* %ft marks an SSL listener with '~'. */
		if (vl && v[vl - 1] == '~')
			vl--;
		r->frontend = v;
		r->frontend_len = vl;
	}
	if (ftok[F_BACKEND] != NO_FIELD) {
		field_span(tok, m, ftok[F_BACKEND], &v, &vl);
		r->backend = v;
		r->backend_len = vl;
	}
}

static enum lf_status match(const struct logformat *lf, const char *msg,
			    size_t len, struct lf_result *r, int one_pass)
{
	struct mstate m;

	memset(r, 0, sizeof *r);
	if (lf->heuristic)
		return match_heuristic(msg, len, r);
	m.lf = lf;
	m.s = msg;
	m.len = len;
	m.steps = 0;
	if (!one_pass || !match_masked(&m)) {
		m.steps = 0;
		if (!match_from(&m, 0, 0))
			return LF_NOMATCH;
	}
	/* The tokens of tcp_sni_segs known when sni-scan is built: no
	 * field looked up (not for logformat_match_general, which checks
	 * the one-pass reading, this included). */
	if (one_pass && lf->seg_mode == SEGS_TCP)
		fields_put(lf, &m, r, tcp_sni_ftok, tcp_sni_tok);
	else
		fields_put(lf, &m, r, lf->ftok, lf->tok);
	return LF_MATCH;
}

enum lf_status logformat_match(const struct logformat *lf, const char *msg,
			       size_t len, struct lf_result *r)
{
	return match(lf, msg, len, r, 1);
}

int logformat_set_wide(struct logformat *lf, int on)
{
#ifdef HAVE_AVX2_PATH
	lf->avx2 = on && __builtin_cpu_supports("avx2");
#else
	(void)on;
	lf->avx2 = 0;
#endif
	return lf->avx2;
}

int logformat_set_segments(struct logformat *lf, int on)
{
	int tcp = is_tcp_sni(lf);
	if (!lf->nsegs)
		return 0;
	lf->seg_mode = on ? SEGS_ANY : tcp ? SEGS_TCP : SEGS_OFF;
	return tcp ? 2 : 1;
}

enum lf_status logformat_match_general(const struct logformat *lf,
				       const char *msg, size_t len,
				       struct lf_result *r)
{
	return match(lf, msg, len, r, 0);
}

size_t logformat_unescape(const char *in, size_t len, char *out,
			  size_t outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == '#' && i + 2 < len && parse_hex_digit(in[i + 1]) >= 0 &&
		    parse_hex_digit(in[i + 2]) >= 0) {
			c = (char)(parse_hex_digit(in[i + 1]) * 16 + parse_hex_digit(in[i + 2]));
			i += 2;
		}
		if (o >= outlen)
			return (size_t)-1;
		out[o++] = c;
	}
	return o;
}
