/*
 * Batched ristretto255 (RFC 9496) for WebAssembly with SIMD128:
 *   - scalarmult_batch: k·P_i for ONE secret scalar k and many public points, constant time in k;
 *   - hash_to_group_batch: hash_to_ristretto255 (RFC 9380 §6.10.1 via Appendix B, with
 *     expand_message_xmd and SHA-512), public data.
 *
 * Field: GF(2^255 - 19) as twelve double-precision limbs (Bernstein's 2005 floating-point
 * curve25519 layout, here two field elements per f64x2 vector, one per lane). Limb i holds an
 * integer multiple of 2^OFF[i], OFF[i] = ceil(21.25·i), so limb products need no rescaling and
 * 2^255 = 19 (mod p) folds the top half of a product back with the exact factor 19·2^-255.
 * Every operation keeps every intermediate an integer below 2^53 in units of its limb's weight,
 * so each floating-point addition and multiplication is exact and no rounding ever happens
 * except in the deliberate carry step (see fe_carry_into). README.md gives the bound analysis.
 *
 * Points: extended twisted-Edwards coordinates (X:Y:Z:T), a = -1, with ref10's completed
 * ("p1p1") and cached forms. Two independent points travel together, one per lane, and the
 * same secret scalar drives both, so the lanes share every control decision.
 *
 * Constant time (for the secret scalar): no branch and no memory index depends on k or on any
 * value derived from it. Digits select table entries by scanning all eight with masks;
 * negation and swaps use masks; the field code has no branches at all; the final encoding
 * reduces to canonical bytes with branch-free integer carries. Variable-time code (decode,
 * hash-to-group) touches only public inputs. README.md walks through this.
 *
 * Self-contained: no libc, no allocator. The caller hands in byte offsets into this module's
 * memory and wipes the stack region and the work area after every call (ristretto.ts).
 */
#include <stdint.h>

typedef uint8_t u8;
typedef double f2 __attribute__((vector_size(16)));
typedef int64_t i2 __attribute__((vector_size(16)));

/* clang may lower struct and array copies to these calls even with -nostdlib. */
void *memcpy(void *dst, const void *src, unsigned long n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}
void *memset(void *dst, int c, unsigned long n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char) c;
    return dst;
}

#define UNROLL _Pragma("clang loop unroll(full)")

/*
 * Volatile accesses fix the order of loads and stores in the emitted WebAssembly. V8 keeps
 * memory operations in program order but hoists loads that no store separates far ahead of their
 * uses, which with sixteen vector registers means spills; interleaving stores keeps the live set
 * small. They change nothing semantically.
 */
#define LD(x) (*(const volatile f2 *) &(x))
#define ST(x, y) (*(volatile f2 *) &(x) = (y))

/* Hides a value from the optimiser so that masks stay arithmetic (never become branches or selects). */
static inline int64_t opaque64(int64_t x) {
    __asm__("" : "+r"(x));
    return x;
}

/* ---------------------------------------------------------------- field arithmetic */

typedef struct { f2 v[12]; } fe;

#define SPLAT(x) { x, x }

/* Limb i starts at bit OFF[i] and is WID[i] bits wide; OFF[12] = 255. */
static const int OFF[13] = {0, 22, 43, 64, 85, 107, 128, 149, 170, 192, 213, 234, 255};
static const int WID[12] = {22, 21, 21, 21, 22, 21, 21, 21, 22, 21, 21, 21};

/*
 * Constants are read through LD so that V8 loads them instead of rebuilding each vector from
 * immediates at every use.
 * ALPHA[i] = 1.5·2^(OFF[i+1] + 52): adding and subtracting it rounds to a multiple of 2^OFF[i+1]. */
static const f2 ALPHA[12] = {
    SPLAT(0x1.8p74),  SPLAT(0x1.8p95),  SPLAT(0x1.8p116), SPLAT(0x1.8p137),
    SPLAT(0x1.8p159), SPLAT(0x1.8p180), SPLAT(0x1.8p201), SPLAT(0x1.8p222),
    SPLAT(0x1.8p244), SPLAT(0x1.8p265), SPLAT(0x1.8p286), SPLAT(0x1.8p307),
};
/* 2^255 = 19 (mod p): a multiple of 2^(255 + OFF[j]) times 19·2^-255 is the same residue at weight 2^OFF[j]. */
static const f2 WRAP = SPLAT(0x1.3p-251);
static const double SCALE[12] = {0x1p0,   0x1p22,  0x1p43,  0x1p64,  0x1p85,  0x1p107,
                                 0x1p128, 0x1p149, 0x1p170, 0x1p192, 0x1p213, 0x1p234};
static const double UNSCALE[12] = {0x1p0,    0x1p-22,  0x1p-43,  0x1p-64,  0x1p-85,  0x1p-107,
                                   0x1p-128, 0x1p-149, 0x1p-170, 0x1p-192, 0x1p-213, 0x1p-234};
/* x + 1.5·2^52 puts an integer |x| < 2^51 in the low mantissa bits: bits(x + M) - bits(M) = x. */
static const f2 MAGIC = SPLAT(0x1.8p52);
#define MAGIC_BITS 0x4338000000000000LL

/*
 * h = t with carried limbs (|limb| <= 2^(WID-1), limbs 1 and 7 up to 2^-7 more), same residue.
 * A carry rounds a limb to the nearest multiple of the next limb's weight with the ALPHA trick
 * (exact: the sum lies in one binade whose unit is that weight) and moves it up. Two chains run
 * interleaved (0..5 into 6, 6..11 into 0 with the factor 19·2^-255), then limbs 0 and 6 are
 * carried once more. The chains branch on nothing. t may alias h->v.
 */
static inline void fe_carry_into(fe *h, const f2 *t) {
    f2 a, c, x = LD(t[0]), y = LD(t[6]);
    UNROLL for (int i = 0; i < 6; i++) {
        a = LD(ALPHA[i]);
        c = (x + a) - a;
        ST(h->v[i], x - c);
        x = i < 5 ? LD(t[i + 1]) + c : c;             /* after limb 5: the carry into limb 6 */
        a = LD(ALPHA[i + 6]);
        c = (y + a) - a;
        ST(h->v[i + 6], y - c);
        y = i < 5 ? LD(t[i + 7]) + c : c * LD(WRAP); /* after limb 11: the carry into limb 0 */
    }
    f2 l0 = LD(h->v[0]) + y, l6 = LD(h->v[6]) + x;
    a = LD(ALPHA[0]);
    c = (l0 + a) - a;
    ST(h->v[0], l0 - c);
    ST(h->v[1], LD(h->v[1]) + c);
    a = LD(ALPHA[6]);
    c = (l6 + a) - a;
    ST(h->v[6], l6 - c);
    ST(h->v[7], LD(h->v[7]) + c);
}

static void fe_carry(fe *h, const fe *f) { fe_carry_into(h, f->v); }

/*
 * h = f·g, schoolbook over 144 limb products, carried. Rows of f are taken four at a time and
 * held in registers, with f_i·19·2^-255 for products that land at limb >= 12 (exact: a 28-bit
 * mantissa), while g streams past; each output limb's running sum lives in t[] between blocks.
 * Inputs: limbs up to 4·2^(WID-1) each (README.md: every partial sum stays below 2^53).
 */
__attribute__((noinline)) static void fe_mul(fe *h, const fe *f, const fe *g) {
    f2 t[12], wrap = LD(WRAP);
    UNROLL for (int i0 = 0; i0 < 12; i0 += 4) {
        f2 fr[4], fw[4], acc[4];
        UNROLL for (int r = 0; r < 4; r++) {
            fr[r] = LD(f->v[i0 + r]);
            fw[r] = fr[r] * wrap;
        }
        /* acc[(k - i0) % 4] is the running sum of output limb k while it is in flight. */
        UNROLL for (int r = 0; r < 4; r++) acc[r] = i0 == 0 ? (f2) {0, 0} : LD(t[i0 + r]);
        UNROLL for (int j = 0; j < 12; j++) {
            f2 gj = LD(g->v[j]);
            UNROLL for (int r = 0; r < 4; r++) {
                int k = i0 + r + j;
                f2 product = (k < 12 ? fr[r] : fw[r]) * gj;
                /* In the first block an output's first product starts its sum (0 + x is not folded). */
                int first = i0 == 0 && k < 12 && r == (k < 3 ? k : 3);
                acc[(r + j) % 4] = first ? product : acc[(r + j) % 4] + product;
            }
            /* Output i0 + j has all of this block's products; the slot takes output i0 + j + 4. */
            ST(t[(i0 + j) % 12], acc[j % 4]);
            int next = i0 + j + 4;
            if (j < 11) acc[j % 4] = (next < 12 && i0 == 0) ? (f2) {0, 0} : LD(t[next % 12]);
        }
        UNROLL for (int r = 1; r < 4; r++) ST(t[(i0 + 11 + r) % 12], acc[(11 + r) % 4]);
    }
    fe_carry_into(h, t);
}

/* h = f^2: 78 products (cross terms doubled), blocked like fe_mul. Same input bounds. */
__attribute__((noinline)) static void fe_sq(fe *h, const fe *f) {
    f2 fw[12], t[12], wrap = LD(WRAP);
    UNROLL for (int j = 6; j < 12; j++) ST(fw[j], LD(f->v[j]) * wrap);
    UNROLL for (int i0 = 0; i0 < 12; i0 += 4) {
        f2 fr[4], fd[4], acc[4];
        UNROLL for (int r = 0; r < 4; r++) {
            fr[r] = LD(f->v[i0 + r]);
            fd[r] = fr[r] + fr[r];
        }
        /* Column j adds f_i·f_j (i <= j) to output i + j; slot (k - 2·i0) % 4 holds output k. */
        UNROLL for (int r = 0; r < 4; r++) acc[r] = i0 == 0 ? (f2) {0, 0} : LD(t[(2 * i0 + r) % 12]);
        UNROLL for (int j = i0; j < 12; j++) {
            int plain = i0 + j < 12, wrapped = i0 + 3 + j >= 12 && j >= 6;
            f2 fj = plain ? LD(f->v[j]) : (f2) {0, 0};
            f2 fwj = wrapped ? LD(fw[j]) : (f2) {0, 0};
            UNROLL for (int r = 0; r < 4; r++) {
                int i = i0 + r;
                if (i > j) continue;
                int k = i + j;
                f2 product = (i == j ? fr[r] : fd[r]) * (k < 12 ? fj : fwj);
                int first = i0 == 0 && k < 12 && r == (k / 2 < 3 ? k / 2 : 3);
                acc[(r + j - i0) % 4] = first ? product : acc[(r + j - i0) % 4] + product;
            }
            ST(t[(i0 + j) % 12], acc[(j - i0) % 4]);
            int next = i0 + j + 4;
            if (j < 11) acc[(j - i0) % 4] = (next < 12 && i0 == 0) ? (f2) {0, 0} : LD(t[next % 12]);
        }
        UNROLL for (int r = 1; r < 4; r++) ST(t[(i0 + 11 + r) % 12], acc[(11 - i0 + r) % 4]);
    }
    fe_carry_into(h, t);
}

/* h = f^(2^n), n >= 1 (n is a public constant). */
static void fe_sqn(fe *h, const fe *f, int n) {
    fe_sq(h, f);
    while (--n > 0) fe_sq(h, h);
}

/* Additions do not carry: the sum of two carried elements is within fe_mul's input bound. */
static inline void fe_add(fe *h, const fe *f, const fe *g) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = f->v[i] + g->v[i];
}
static inline void fe_sub(fe *h, const fe *f, const fe *g) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = f->v[i] - g->v[i];
}
static inline void fe_neg(fe *h, const fe *f) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = -f->v[i];
}
static inline void fe_copy(fe *h, const fe *f) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = f->v[i];
}
static inline void fe_0(fe *h) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = (f2) {0, 0};
}
static inline void fe_1(fe *h) {
    fe_0(h);
    h->v[0] = (f2) {1, 1};
}

/* h = m ? f : h per lane (m all-ones or all-zero in each lane), by masking the bit patterns. */
static inline void fe_cmov(fe *h, const fe *f, i2 m) {
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = (f2) (((i2) f->v[i] & m) | ((i2) h->v[i] & ~m));
}
/* h = m ? -h : h per lane: flips the sign bit under the mask (exact; zero becomes -0, still zero). */
static inline void fe_cneg(fe *h, i2 m) {
    const i2 sign = SPLAT((int64_t) 0x8000000000000000ULL);
    UNROLL for (int i = 0; i < 12; i++) h->v[i] = (f2) ((i2) h->v[i] ^ (sign & m));
}

/* Per-lane mask from two bits: all-ones where the bit is 1. */
static inline i2 lane_mask(int64_t b0, int64_t b1) {
    return (i2) {-opaque64(b0), -opaque64(b1)};
}

/* Reads WID[i] bits at OFF[i] of a 32-byte little-endian string (bit 255 is never read). */
static inline int64_t load_limb(const u8 *s, int i) {
    int o = OFF[i] >> 3;
    uint64_t w = 0;
    UNROLL for (int k = 3; k >= 0; k--) w = (w << 8) | (o + k < 32 ? s[o + k] : 0);
    return (int64_t) ((w >> (OFF[i] & 7)) & ((1u << WID[i]) - 1));
}

/* Lane 0 from s0, lane 1 from s1: the low 255 bits of each, as a carried element (may be >= p). */
static void fe_frombytes2(fe *h, const u8 *s0, const u8 *s1) {
    UNROLL for (int i = 0; i < 12; i++) {
        i2 x = {load_limb(s0, i), load_limb(s1, i)};
        /* int -> double through the magic constant: exact for |x| < 2^51, no conversion instruction. */
        f2 d = (f2) (x + MAGIC_BITS) - MAGIC;
        h->v[i] = d * SCALE[i];
    }
    fe_carry(h, h);
}

/*
 * Canonical little-endian encodings of both lanes (fully reduced mod p), branch-free.
 * After a carry |limb_i| <= 2^(WID_i - 1)·(1 + 2^-7), so each lane's value h is in (-p, p).
 */
static void fe_tobytes2(u8 s0[32], u8 s1[32], const fe *f) {
    fe c;
    fe_carry(&c, f);
    int64_t x[2][12];
    UNROLL for (int i = 0; i < 12; i++) {
        i2 b = (i2) (c.v[i] * UNSCALE[i] + MAGIC) - MAGIC_BITS;
        x[0][i] = b[0];
        x[1][i] = b[1];
    }
    /* 2p = sum of 2·(2^WID_i - 1)·2^OFF_i, minus 36: adding it makes every limb positive. */
    UNROLL for (int lane = 0; lane < 2; lane++) {
        int64_t *y = x[lane];
        u8 *s = lane == 0 ? s0 : s1;
        y[0] += ((int64_t) 1 << 23) - 38;
        UNROLL for (int i = 1; i < 12; i++) y[i] += ((int64_t) 1 << (WID[i] + 1)) - 2;
        /* Two carry chains with the top carry folded back times 19 leave h in [0, 2^255). */
        UNROLL for (int pass = 0; pass < 2; pass++) {
            UNROLL for (int i = 0; i < 11; i++) {
                int64_t carry = y[i] >> WID[i];
                y[i] -= carry << WID[i];
                y[i + 1] += carry;
            }
            int64_t top = y[11] >> 21;
            y[11] -= top << 21;
            y[0] += 19 * top;
        }
        /* q = floor((h + 19) / 2^255) is 1 exactly when h >= p; h - q·p = h + 19q - q·2^255. */
        int64_t q = 19;
        UNROLL for (int i = 0; i < 12; i++) q = (y[i] + q) >> WID[i];
        y[0] += 19 * q;
        UNROLL for (int i = 0; i < 11; i++) {
            int64_t carry = y[i] >> WID[i];
            y[i] -= carry << WID[i];
            y[i + 1] += carry;
        }
        y[11] &= ((int64_t) 1 << 21) - 1;
        UNROLL for (int i = 0; i < 32; i++) s[i] = 0;
        UNROLL for (int i = 0; i < 12; i++) {
            uint64_t v = (uint64_t) y[i] << (OFF[i] & 7);
            int o = OFF[i] >> 3;
            UNROLL for (int k = 0; k < 4; k++) {
                if (o + k < 32) s[o + k] |= (u8) (v >> (8 * k));
            }
        }
    }
}

/* Per-lane masks: the value is negative (odd canonical encoding), or zero. */
static i2 fe_isnegative(const fe *f) {
    u8 s[2][32];
    fe_tobytes2(s[0], s[1], f);
    return lane_mask(s[0][0] & 1, s[1][0] & 1);
}
static i2 fe_iszero(const fe *f) {
    u8 s[2][32];
    fe_tobytes2(s[0], s[1], f);
    uint64_t acc[2] = {0, 0};
    UNROLL for (int lane = 0; lane < 2; lane++) {
        UNROLL for (int i = 0; i < 32; i++) acc[lane] |= s[lane][i];
    }
    return lane_mask((int64_t) ((acc[0] - 1) >> 63), (int64_t) ((acc[1] - 1) >> 63));
}

/* RFC 9496 §4.2 CT_ABS. */
static void fe_abs(fe *h, const fe *f) {
    i2 m = fe_isnegative(f);
    if (h != f) fe_copy(h, f);
    fe_cneg(h, m);
}

/* z^(2^252 - 3) = z^((p-5)/8), ref10's addition chain. */
static void fe_pow22523(fe *out, const fe *z) {
    fe t0, t1, t2;
    fe_sq(&t0, z);
    fe_sqn(&t1, &t0, 2);
    fe_mul(&t1, z, &t1);
    fe_mul(&t0, &t0, &t1);
    fe_sq(&t0, &t0);
    fe_mul(&t0, &t1, &t0);   /* 2^5 - 1 */
    fe_sqn(&t1, &t0, 5);
    fe_mul(&t0, &t1, &t0);   /* 2^10 - 1 */
    fe_sqn(&t1, &t0, 10);
    fe_mul(&t1, &t1, &t0);   /* 2^20 - 1 */
    fe_sqn(&t2, &t1, 20);
    fe_mul(&t1, &t2, &t1);   /* 2^40 - 1 */
    fe_sqn(&t1, &t1, 10);
    fe_mul(&t0, &t1, &t0);   /* 2^50 - 1 */
    fe_sqn(&t1, &t0, 50);
    fe_mul(&t1, &t1, &t0);   /* 2^100 - 1 */
    fe_sqn(&t2, &t1, 100);
    fe_mul(&t1, &t2, &t1);   /* 2^200 - 1 */
    fe_sqn(&t1, &t1, 50);
    fe_mul(&t0, &t1, &t0);   /* 2^250 - 1 */
    fe_sqn(&t0, &t0, 2);     /* 2^252 - 4 */
    fe_mul(out, &t0, z);     /* 2^252 - 3 */
}

/* z^(p-2) = z^(2^255 - 21) = 1/z (0 for z = 0), ref10's chain. */
static void fe_invert(fe *out, const fe *z) {
    fe t0, t1, t2, t3;
    fe_sq(&t0, z);
    fe_sqn(&t1, &t0, 2);
    fe_mul(&t1, z, &t1);     /* 9 */
    fe_mul(&t0, &t0, &t1);   /* 11 */
    fe_sq(&t2, &t0);
    fe_mul(&t1, &t1, &t2);   /* 2^5 - 1 */
    fe_sqn(&t2, &t1, 5);
    fe_mul(&t1, &t2, &t1);   /* 2^10 - 1 */
    fe_sqn(&t2, &t1, 10);
    fe_mul(&t2, &t2, &t1);   /* 2^20 - 1 */
    fe_sqn(&t3, &t2, 20);
    fe_mul(&t2, &t3, &t2);   /* 2^40 - 1 */
    fe_sqn(&t2, &t2, 10);
    fe_mul(&t1, &t2, &t1);   /* 2^50 - 1 */
    fe_sqn(&t2, &t1, 50);
    fe_mul(&t2, &t2, &t1);   /* 2^100 - 1 */
    fe_sqn(&t3, &t2, 100);
    fe_mul(&t2, &t3, &t2);   /* 2^200 - 1 */
    fe_sqn(&t2, &t2, 50);
    fe_mul(&t1, &t2, &t1);   /* 2^250 - 1 */
    fe_sqn(&t1, &t1, 5);     /* 2^255 - 32 */
    fe_mul(out, &t1, &t0);   /* 2^255 - 21 */
}

/* Curve constants (RFC 9496 §4.1), little-endian. */
static const u8 D_BYTES[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
static const u8 D2_BYTES[32] = {
    0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83, 0x82, 0x9a, 0x14, 0xe0, 0x00,
    0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80, 0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24};
static const u8 SQRT_M1_BYTES[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
static const u8 SQRT_AD_MINUS_ONE_BYTES[32] = {
    0x1b, 0x2e, 0x7b, 0x49, 0xa0, 0xf6, 0x97, 0x7e, 0xbd, 0x54, 0x78, 0x1b, 0x0c, 0x8e, 0x9d, 0xaf,
    0xfd, 0xd1, 0xf5, 0x31, 0xc9, 0xfc, 0x3c, 0x0f, 0xac, 0x48, 0x83, 0x2b, 0xbf, 0x31, 0x69, 0x37};
static const u8 INVSQRT_A_MINUS_D_BYTES[32] = {
    0xea, 0x40, 0x5d, 0x80, 0xaa, 0xfd, 0xc8, 0x99, 0xbe, 0x72, 0x41, 0x5a, 0x17, 0x16, 0x2f, 0x9d,
    0x40, 0xd8, 0x01, 0xfe, 0x91, 0x7b, 0xc2, 0x16, 0xa2, 0xfc, 0xaf, 0xcf, 0x05, 0x89, 0x6c, 0x78};
static const u8 ONE_MINUS_D_SQ_BYTES[32] = {
    0x76, 0xc1, 0x5f, 0x94, 0xc1, 0x09, 0x7c, 0xe2, 0x0f, 0x35, 0x5e, 0xcd, 0x38, 0xa1, 0x81, 0x2c,
    0xe4, 0xdf, 0x70, 0xbe, 0xdd, 0xab, 0x94, 0x99, 0xd7, 0xe0, 0xb3, 0xb2, 0xa8, 0x72, 0x90, 0x02};
static const u8 D_MINUS_ONE_SQ_BYTES[32] = {
    0x20, 0x4d, 0xed, 0x44, 0xaa, 0x5a, 0xad, 0x31, 0x99, 0x19, 0x1e, 0xb0, 0x2c, 0x4a, 0x9e, 0xd2,
    0xeb, 0x4e, 0x9b, 0x52, 0x2f, 0xd3, 0xdc, 0x4c, 0x41, 0x22, 0x6c, 0xf6, 0x7a, 0xb3, 0x68, 0x59};

static fe C_D, C_D2, C_SQRT_M1, C_SQRT_AD_MINUS_ONE, C_INVSQRT_A_MINUS_D, C_ONE_MINUS_D_SQ, C_D_MINUS_ONE_SQ;
static int constants_ready = 0;

static void init_constants(void) {
    if (constants_ready) return;
    fe_frombytes2(&C_D, D_BYTES, D_BYTES);
    fe_frombytes2(&C_D2, D2_BYTES, D2_BYTES);
    fe_frombytes2(&C_SQRT_M1, SQRT_M1_BYTES, SQRT_M1_BYTES);
    fe_frombytes2(&C_SQRT_AD_MINUS_ONE, SQRT_AD_MINUS_ONE_BYTES, SQRT_AD_MINUS_ONE_BYTES);
    fe_frombytes2(&C_INVSQRT_A_MINUS_D, INVSQRT_A_MINUS_D_BYTES, INVSQRT_A_MINUS_D_BYTES);
    fe_frombytes2(&C_ONE_MINUS_D_SQ, ONE_MINUS_D_SQ_BYTES, ONE_MINUS_D_SQ_BYTES);
    fe_frombytes2(&C_D_MINUS_ONE_SQ, D_MINUS_ONE_SQ_BYTES, D_MINUS_ONE_SQ_BYTES);
    constants_ready = 1;
}

/*
 * RFC 9496 §4.2 SQRT_RATIO_M1(u, v): r = +sqrt(u/v) if u/v is square, else +sqrt(i·u/v);
 * returns the per-lane was_square mask. Branch-free.
 */
static i2 sqrt_ratio_m1(fe *r, const fe *u, const fe *v) {
    fe v3, v7, t, check, r_prime;
    fe_sq(&v3, v);
    fe_mul(&v3, &v3, v);               /* v^3 */
    fe_sq(&v7, &v3);
    fe_mul(&v7, &v7, v);               /* v^7 */
    fe_mul(&t, u, &v7);
    fe_pow22523(&t, &t);
    fe_mul(&t, &t, &v3);
    fe_mul(r, &t, u);                  /* r = u·v^3·(u·v^7)^((p-5)/8) */
    fe_sq(&t, r);
    fe_mul(&check, &t, v);             /* check = v·r^2 */
    fe_sub(&t, &check, u);
    i2 correct_sign = fe_iszero(&t);
    fe_add(&t, &check, u);
    i2 flipped_sign = fe_iszero(&t);
    fe_mul(&t, u, &C_SQRT_M1);
    fe_add(&t, &check, &t);
    i2 flipped_sign_i = fe_iszero(&t);
    fe_mul(&r_prime, r, &C_SQRT_M1);
    fe_cmov(r, &r_prime, flipped_sign | flipped_sign_i);
    fe_abs(r, r);
    return correct_sign | flipped_sign;
}

/* ---------------------------------------------------------------- points */

typedef struct { fe X, Y, Z; } ge_p2;
typedef struct { fe X, Y, Z, T; } ge_p3;       /* extended; its first three fields are a ge_p2 */
typedef struct { fe X, Y, Z, T; } ge_p1p1;     /* completed: ((X:Z), (Y:T)) */
typedef struct { fe YpX, YmX, Z2, T2d; } ge_cached;

static void ge_identity(ge_p3 *p) {
    fe_0(&p->X);
    fe_1(&p->Y);
    fe_1(&p->Z);
    fe_0(&p->T);
}

static void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->X, &p->T);
    fe_mul(&r->Y, &p->Y, &p->Z);
    fe_mul(&r->Z, &p->Z, &p->T);
}

static void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p) {
    fe_mul(&r->X, &p->X, &p->T);
    fe_mul(&r->Y, &p->Y, &p->Z);
    fe_mul(&r->Z, &p->Z, &p->T);
    fe_mul(&r->T, &p->X, &p->Y);
}

/* Y+X, Y-X and 2Z (sums of two carried elements: ge_add multiplies them by sums of two); 2d·T. */
static void ge_p3_to_cached(ge_cached *r, const ge_p3 *p) {
    fe_add(&r->YpX, &p->Y, &p->X);
    fe_sub(&r->YmX, &p->Y, &p->X);
    fe_add(&r->Z2, &p->Z, &p->Z);
    fe_mul(&r->T2d, &p->T, &C_D2);
}

/*
 * r = 2p (dbl-2008-hwcd for a = -1, ref10's ge_p2_dbl). Carried inputs; outputs are sums of at
 * most four carried values (T3 = 2Z^2 - Y^2 + X^2), inside fe_mul's bound for the conversion.
 */
__attribute__((noinline)) static void ge_dbl(ge_p1p1 *r, const ge_p2 *p) {
    fe xx, yy, zz, s;
    fe_sq(&xx, &p->X);
    fe_sq(&yy, &p->Y);
    fe_sq(&zz, &p->Z);
    fe_add(&s, &p->X, &p->Y);
    fe_sq(&s, &s);
    /* One pass over the limbs for the four linear combinations. */
    UNROLL for (int i = 0; i < 12; i++) {
        f2 x2 = xx.v[i], y2 = yy.v[i], z2 = zz.v[i];
        f2 sum = y2 + x2, difference = y2 - x2;
        r->Y.v[i] = sum;                       /* Y^2 + X^2 */
        r->Z.v[i] = difference;                /* Y^2 - X^2 */
        r->X.v[i] = s.v[i] - sum;              /* (X + Y)^2 - Y^2 - X^2 */
        r->T.v[i] = (z2 + z2) - difference;    /* 2Z^2 - (Y^2 - X^2) */
    }
}

/* r = p + q (add-2008-hwcd-3 for a = -1, k = 2d, ref10's ge_add). */
__attribute__((noinline)) static void ge_add(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q) {
    fe a, b, c, d;
    UNROLL for (int i = 0; i < 12; i++) {
        f2 y = p->Y.v[i], x = p->X.v[i];
        a.v[i] = y + x;
        b.v[i] = y - x;
    }
    fe_mul(&a, &a, &q->YpX);
    fe_mul(&b, &b, &q->YmX);
    fe_mul(&c, &q->T2d, &p->T);
    fe_mul(&d, &p->Z, &q->Z2);
    UNROLL for (int i = 0; i < 12; i++) {
        f2 av = a.v[i], bv = b.v[i], cv = c.v[i], dv = d.v[i];
        r->X.v[i] = av - bv;
        r->Y.v[i] = av + bv;
        r->Z.v[i] = dv + cv;
        r->T.v[i] = dv - cv;
    }
}

/* ---------------------------------------------------------------- RFC 9496 decode / encode */

/*
 * §4.3.1 step 1 on public bytes: canonical (< p), non-negative (even), top bit clear. The identity
 * (all zero) is refused too: RFC 9497 §3.3 rejects it as an input. Returns 1 to accept.
 */
static int bytes_acceptable(const u8 *s) {
    if (s[31] & 0x80) return 0;
    if (s[0] & 1) return 0;
    int ge_p = s[0] >= 0xed && s[31] == 0x7f;
    for (int i = 1; i < 31 && ge_p; i++) ge_p = s[i] == 0xff;
    if (ge_p) return 0;
    u8 acc = 0;
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc != 0;
}

/*
 * §4.3.1 Decode of two public encodings into one two-lane point (Z = 1). ok[lane] is 1 when the
 * lane's encoding is accepted. The field work is shared; the verdict per lane is public.
 */
static void ristretto_decode2(ge_p3 *h, int ok[2], const u8 *s0, const u8 *s1) {
    fe s, ss, u1, u2, u2_sqr, v, t, one, invsqrt, den_x, den_y;
    fe_frombytes2(&s, s0, s1);
    fe_sq(&ss, &s);
    fe_1(&one);
    fe_sub(&u1, &one, &ss);
    fe_add(&u2, &one, &ss);
    fe_sq(&u2_sqr, &u2);
    fe_sq(&t, &u1);
    fe_mul(&t, &C_D, &t);
    fe_neg(&t, &t);
    fe_sub(&v, &t, &u2_sqr);           /* v = -(D·u1^2) - u2_sqr */
    fe_mul(&t, &v, &u2_sqr);
    i2 was_square = sqrt_ratio_m1(&invsqrt, &one, &t);
    fe_mul(&den_x, &invsqrt, &u2);
    fe_mul(&den_y, &invsqrt, &den_x);
    fe_mul(&den_y, &den_y, &v);
    fe_mul(&h->X, &s, &den_x);
    fe_add(&h->X, &h->X, &h->X);
    fe_carry(&h->X, &h->X);
    fe_abs(&h->X, &h->X);              /* x = CT_ABS(2·s·den_x) */
    fe_mul(&h->Y, &u1, &den_y);        /* y = u1·den_y */
    fe_1(&h->Z);
    fe_mul(&h->T, &h->X, &h->Y);
    i2 bad = ~was_square | fe_isnegative(&h->T) | fe_iszero(&h->Y);
    ok[0] = bytes_acceptable(s0) & (int) (bad[0] == 0);
    ok[1] = bytes_acceptable(s1) & (int) (bad[1] == 0);
}

/* §4.3.2 Encode of a two-lane point into two encodings. Branch-free. */
static void ristretto_encode2(u8 *s0, u8 *s1, const ge_p3 *h) {
    fe u1, u2, t, one, invsqrt, den1, den2, z_inv, ix, iy, enchanted, x, y, den_inv, s;
    fe_add(&u1, &h->Z, &h->Y);
    fe_sub(&t, &h->Z, &h->Y);
    fe_mul(&u1, &u1, &t);              /* u1 = (z0 + y0)(z0 - y0) */
    fe_mul(&u2, &h->X, &h->Y);         /* u2 = x0·y0 */
    fe_sq(&t, &u2);
    fe_mul(&t, &u1, &t);
    fe_1(&one);
    (void) sqrt_ratio_m1(&invsqrt, &one, &t);
    fe_mul(&den1, &invsqrt, &u1);
    fe_mul(&den2, &invsqrt, &u2);
    fe_mul(&z_inv, &den1, &den2);
    fe_mul(&z_inv, &z_inv, &h->T);
    fe_mul(&ix, &h->X, &C_SQRT_M1);
    fe_mul(&iy, &h->Y, &C_SQRT_M1);
    fe_mul(&enchanted, &den1, &C_INVSQRT_A_MINUS_D);
    fe_mul(&t, &h->T, &z_inv);
    i2 rotate = fe_isnegative(&t);
    fe_copy(&x, &h->X);
    fe_copy(&y, &h->Y);
    fe_copy(&den_inv, &den2);
    fe_cmov(&x, &iy, rotate);
    fe_cmov(&y, &ix, rotate);
    fe_cmov(&den_inv, &enchanted, rotate);
    fe_mul(&t, &x, &z_inv);
    fe_cneg(&y, fe_isnegative(&t));
    fe_sub(&s, &h->Z, &y);
    fe_mul(&s, &den_inv, &s);
    fe_abs(&s, &s);
    fe_tobytes2(s0, s1, &s);
}

/*
 * Encoding of 2Q for a batch of points Q, with one field inversion for the whole batch instead of
 * an inverse square root per point. 2Q = (e·h : f·g : f·h : e·g) with e = 2XY, f = Z^2 + d·T^2,
 * g = Y^2 + X^2, h = Z^2 - d·T^2, and for a doubled point the encoding's square root is a
 * rational function of e, f, g, h. Technique and formulas: curve25519-dalek's
 * RistrettoPoint::double_and_compress_batch (isis lovecruft, Henry de Valence). Branch-free.
 */
typedef struct { fe e, f, g, h, eg, fh, efgh, prefix; } encode_state;

static void double_encode_begin(encode_state *st, const ge_p3 *q, const fe *previous_prefix) {
    fe xx, yy, zz, dtt;
    fe_sq(&xx, &q->X);
    fe_sq(&yy, &q->Y);
    fe_sq(&zz, &q->Z);
    fe_sq(&dtt, &q->T);
    fe_mul(&dtt, &dtt, &C_D);
    fe_add(&st->e, &q->Y, &q->Y);
    fe_mul(&st->e, &q->X, &st->e);     /* 2XY */
    fe_add(&st->f, &zz, &dtt);
    fe_add(&st->g, &yy, &xx);
    fe_sub(&st->h, &zz, &dtt);
    fe_mul(&st->eg, &st->e, &st->g);
    fe_mul(&st->fh, &st->f, &st->h);
    fe_mul(&st->efgh, &st->eg, &st->fh);
    if (previous_prefix) fe_mul(&st->prefix, previous_prefix, &st->efgh);
    else fe_copy(&st->prefix, &st->efgh);
}

/* inv = 1/efgh for this state. */
static void double_encode_finish(u8 *s0, u8 *s1, const encode_state *st, const fe *inv) {
    fe z_inv, t_inv, t, e, g, h, minus_e, f_sqrt_m1, magic, s;
    fe_mul(&z_inv, &st->eg, inv);      /* 1/(f·h) */
    fe_mul(&t_inv, &st->fh, inv);      /* 1/(e·g) */
    fe_mul(&t, &st->eg, &z_inv);
    i2 rotate = fe_isnegative(&t);
    fe_copy(&e, &st->e);
    fe_copy(&g, &st->g);
    fe_copy(&h, &st->h);
    fe_neg(&minus_e, &st->e);
    fe_mul(&f_sqrt_m1, &st->f, &C_SQRT_M1);
    fe_copy(&magic, &C_INVSQRT_A_MINUS_D);
    fe_cmov(&e, &st->g, rotate);
    fe_cmov(&g, &minus_e, rotate);
    fe_cmov(&h, &f_sqrt_m1, rotate);
    fe_cmov(&magic, &C_SQRT_M1, rotate);
    fe_mul(&t, &h, &e);
    fe_mul(&t, &t, &z_inv);
    fe_cneg(&g, fe_isnegative(&t));
    fe_mul(&t, &g, &t_inv);
    fe_mul(&t, &magic, &t);
    fe_sub(&s, &h, &g);
    fe_mul(&s, &s, &t);
    fe_abs(&s, &s);
    fe_tobytes2(s0, s1, &s);
}

/* ---------------------------------------------------------------- secret-scalar multiplication */

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const u8 ORDER[32] = {
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

/*
 * e = signed radix-16 digits of k/2 mod L, e[i] in [-8, 8], k/2 = sum e[i]·16^i (ref10's recoding).
 * k/2 = (k + (k odd)·L) / 2, by a masked add and a shift. k < L, so k + L < 2^254 and the top
 * digit stays small. Branch-free; e lives on the stack, which the caller wipes.
 */
static void recode_half(signed char e[64], const u8 *k) {
    u8 h[32];
    uint32_t odd = (uint32_t) opaque64(k[0] & 1);
    uint32_t mask = 0u - odd;
    uint32_t carry = 0;
    u8 sum[33];
    for (int i = 0; i < 32; i++) {
        uint32_t t = (uint32_t) k[i] + (ORDER[i] & mask) + carry;
        sum[i] = (u8) t;
        carry = t >> 8;
    }
    sum[32] = (u8) carry;
    for (int i = 0; i < 32; i++) h[i] = (u8) ((sum[i] >> 1) | (sum[i + 1] << 7));
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (signed char) (h[i] & 15);
        e[2 * i + 1] = (signed char) ((h[i] >> 4) & 15);
    }
    signed char c = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (signed char) (e[i] + c);
        c = (signed char) ((e[i] + 8) >> 4);
        e[i] = (signed char) (e[i] - c * 16);
    }
    e[63] = (signed char) (e[63] + c);
}

/* 1 if b == c else 0, for small non-negative values, without a comparison instruction. */
static inline int64_t equal_bit(uint32_t b, uint32_t c) {
    return (int64_t) (((b ^ c) - 1u) >> 31);
}

/*
 * r = digit·P from the table of 1·P .. 8·P: every entry is read and merged under a mask, so the
 * memory access pattern and the instruction stream are the same for every digit. A negative
 * digit swaps Y+X with Y-X and negates 2d·T, again by masks. Digit 0 keeps the identity.
 */
__attribute__((noinline)) static void select_cached(ge_cached *r, const ge_cached table[8], signed char digit) {
    int64_t negative = (int64_t) (((uint32_t) (int32_t) digit) >> 31);
    uint32_t magnitude = (uint32_t) (digit - ((-(int32_t) negative & digit) * 2));
    i2 hit[8];
    UNROLL for (int i = 0; i < 8; i++) {
        int64_t bit = equal_bit(magnitude, (uint32_t) (i + 1));
        hit[i] = lane_mask(bit, bit);
    }
    int64_t zero = equal_bit(magnitude, 0);
    i2 none = lane_mask(zero, zero);
    /*
     * The 48 vectors of a cached point, entry by entry: exactly one of the nine masks (eight
     * entries and the identity) is set, so OR-ing the masked candidates selects it.
     */
    const f2 *entries = (const f2 *) table;
    f2 *out = (f2 *) r;
    UNROLL for (int v = 0; v < 48; v++) {
        /* The identity in cached form: Y+X = 1, Y-X = 1, 2Z = 2, 2d·T = 0. */
        double start = v == 0 || v == 12 ? 1.0 : v == 24 ? 2.0 : 0.0;
        i2 acc = (i2) ((f2) {start, start}) & none;
        UNROLL for (int i = 0; i < 8; i++) acc |= (i2) LD(entries[48 * i + v]) & hit[i];
        ST(out[v], (f2) acc);
    }
    i2 m = lane_mask(negative, negative);
    const i2 sign = SPLAT((int64_t) 0x8000000000000000ULL);
    UNROLL for (int i = 0; i < 12; i++) {
        i2 ypx = (i2) LD(r->YpX.v[i]), ymx = (i2) LD(r->YmX.v[i]);
        i2 swap = (ypx ^ ymx) & m;
        ST(r->YpX.v[i], (f2) (ypx ^ swap));
        ST(r->YmX.v[i], (f2) (ymx ^ swap));
        ST(r->T2d.v[i], (f2) ((i2) LD(r->T2d.v[i]) ^ (sign & m)));
    }
}

/* table[i] = (i+1)·P for a two-lane point P (public multiples of the public input). */
static void build_table(ge_cached table[8], const ge_p3 *p) {
    ge_p1p1 t;
    ge_p3 q;
    ge_p3_to_cached(&table[0], p);
    for (int i = 1; i < 8; i++) {
        ge_add(&t, i == 1 ? p : &q, &table[0]);
        ge_p1p1_to_p3(&q, &t);
        ge_p3_to_cached(&table[i], &q);
    }
}

/*
 * r = sum e[i]·16^i·P: fixed window of 4 bits, 64 digits from the top, four doublings then one
 * table addition per digit. The loop bounds and the call sequence are the same for every scalar.
 * Between digits the point stays in projective (X:Y:Z) form; T is computed only where an addition
 * or the final encoding needs it.
 */
static void scalarmult2(ge_p3 *r, const ge_cached table[8], const signed char e[64]) {
    ge_p1p1 t;
    ge_p2 q;
    ge_cached c;
    ge_identity(r);
    select_cached(&c, table, e[63]);
    ge_add(&t, r, &c);
    ge_p1p1_to_p2(&q, &t);
    for (int i = 62; i >= 0; i--) {
        ge_dbl(&t, &q);
        ge_p1p1_to_p2(&q, &t);
        ge_dbl(&t, &q);
        ge_p1p1_to_p2(&q, &t);
        ge_dbl(&t, &q);
        ge_p1p1_to_p2(&q, &t);
        ge_dbl(&t, &q);
        ge_p1p1_to_p3(r, &t);
        select_cached(&c, table, e[i]);
        ge_add(&t, r, &c);
        if (i > 0) ge_p1p1_to_p2(&q, &t);
    }
    ge_p1p1_to_p3(r, &t);
}

/* ---------------------------------------------------------------- exports: scalar multiplication */

/* Work area layout for `count` points: decoded points, then per-pair encode states, then the table. */
static int pairs_of(int count) { return (count + 1) / 2; }

int scalarmult_work_bytes(int count) {
    int pairs = pairs_of(count);
    return (int) (pairs * (sizeof(ge_p3) + sizeof(encode_state)) + 8 * sizeof(ge_cached));
}

/*
 * out_i = encode(k·P_i) for `count` packed public points at `in` and the secret scalar k at
 * `scalar` (32 bytes little-endian, 0 < k < L: the caller checks). Returns 0, or -(1+i) for the
 * first point i that is not a canonical encoding (RFC 9496 §4.3.1) or is the identity (RFC 9497
 * §3.3); then nothing depending on k has been computed. Constant time in k.
 */
int scalarmult_batch(int count, const u8 *scalar, const u8 *in, u8 *out, u8 *work) {
    if (count <= 0) return 0;
    init_constants();
    int pairs = pairs_of(count);
    ge_p3 *points = (ge_p3 *) work;
    encode_state *states = (encode_state *) (work + pairs * sizeof(ge_p3));
    ge_cached *table = (ge_cached *) (work + pairs * (sizeof(ge_p3) + sizeof(encode_state)));
    /* Public phase: decode every point (variable time is fine on public data). */
    for (int j = 0; j < pairs; j++) {
        const u8 *s0 = in + 64 * j;
        const u8 *s1 = 2 * j + 1 < count ? s0 + 32 : s0; /* an odd count repeats its last point */
        int ok[2];
        ristretto_decode2(&points[j], ok, s0, s1);
        if (!ok[0]) return -(1 + 2 * j);
        if (!ok[1]) return -(2 + 2 * j);
    }
    /* Secret phase: Q_j = (k/2)·P_j, then encode 2·Q_j = k·P_j. */
    signed char e[64];
    recode_half(e, scalar);
    for (int j = 0; j < pairs; j++) {
        ge_p3 q;
        build_table(table, &points[j]);
        scalarmult2(&q, table, e);
        double_encode_begin(&states[j], &q, j == 0 ? 0 : &states[j - 1].prefix);
    }
    fe inv, inv_j;
    fe_invert(&inv, &states[pairs - 1].prefix);
    for (int j = pairs - 1; j >= 0; j--) {
        /* Montgomery's trick: 1/efgh_j = inv·prefix_(j-1), then inv becomes 1/prefix_(j-1). */
        if (j > 0) {
            fe_mul(&inv_j, &inv, &states[j - 1].prefix);
            fe_mul(&inv, &inv, &states[j].efgh);
        } else {
            fe_copy(&inv_j, &inv);
        }
        u8 s[2][32];
        double_encode_finish(s[0], s[1], &states[j], &inv_j);
        for (int i = 0; i < 32; i++) out[64 * j + i] = s[0][i];
        if (2 * j + 1 < count) {
            for (int i = 0; i < 32; i++) out[64 * j + 32 + i] = s[1][i];
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- hash to group (public data) */

/* SHA-512 (FIPS 180-4). */
typedef struct { uint64_t h[8]; u8 block[128]; uint64_t total; int used; } sha512_state;

static const uint64_t SHA512_K[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL};

static inline uint64_t ror64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static void sha512_compress(uint64_t h[8], const u8 *block) {
    uint64_t w[80];
    for (int i = 0; i < 16; i++) {
        uint64_t v = 0;
        for (int k = 0; k < 8; k++) v = (v << 8) | block[8 * i + k];
        w[i] = v;
    }
    for (int i = 16; i < 80; i++) {
        uint64_t s0 = ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7);
        uint64_t s1 = ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 80; i++) {
        uint64_t t1 = hh + (ror64(e, 14) ^ ror64(e, 18) ^ ror64(e, 41)) + ((e & f) ^ (~e & g)) + SHA512_K[i] + w[i];
        uint64_t t2 = (ror64(a, 28) ^ ror64(a, 34) ^ ror64(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

static void sha512_init(sha512_state *st) {
    static const uint64_t IV[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                                   0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                                   0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
    for (int i = 0; i < 8; i++) st->h[i] = IV[i];
    st->total = 0;
    st->used = 0;
}

static void sha512_update(sha512_state *st, const u8 *in, uint32_t len) {
    st->total += len;
    while (len > 0) {
        if (st->used == 0 && len >= 128) {
            sha512_compress(st->h, in);
            in += 128;
            len -= 128;
            continue;
        }
        uint32_t take = 128 - (uint32_t) st->used;
        if (take > len) take = len;
        for (uint32_t i = 0; i < take; i++) st->block[st->used + i] = in[i];
        st->used += (int) take;
        in += take;
        len -= take;
        if (st->used == 128) {
            sha512_compress(st->h, st->block);
            st->used = 0;
        }
    }
}

static void sha512_final(sha512_state *st, u8 out[64]) {
    uint64_t bits = st->total * 8;
    st->block[st->used++] = 0x80;
    if (st->used > 112) {
        while (st->used < 128) st->block[st->used++] = 0;
        sha512_compress(st->h, st->block);
        st->used = 0;
    }
    while (st->used < 120) st->block[st->used++] = 0;
    for (int i = 0; i < 8; i++) st->block[120 + i] = (u8) (bits >> (56 - 8 * i));
    sha512_compress(st->h, st->block);
    for (int i = 0; i < 8; i++) {
        for (int k = 0; k < 8; k++) out[8 * i + k] = (u8) (st->h[i] >> (56 - 8 * k));
    }
}

/*
 * RFC 9380 §5.3.1 expand_message_xmd(msg, DST, 64) with SHA-512 (ell = 1):
 * b_0 = H(Z_pad || msg || I2OSP(64, 2) || I2OSP(0, 1) || DST_prime), out = b_1 = H(b_0 || I2OSP(1, 1) || DST_prime).
 * `zpad` is the state after absorbing Z_pad (128 zero bytes), computed once per batch.
 */
static void expand_xmd_64(u8 out[64], const sha512_state *zpad, const u8 *msg, uint32_t len, const u8 *dst_prime,
                          uint32_t dst_prime_len) {
    static const u8 lib_str[3] = {0, 64, 0};
    static const u8 one = 1;
    sha512_state st = *zpad;
    u8 b0[64];
    sha512_update(&st, msg, len);
    sha512_update(&st, lib_str, 3);
    sha512_update(&st, dst_prime, dst_prime_len);
    sha512_final(&st, b0);
    sha512_init(&st);
    sha512_update(&st, b0, 64);
    sha512_update(&st, &one, 1);
    sha512_update(&st, dst_prime, dst_prime_len);
    sha512_final(&st, out);
}

/* RFC 9496 §4.3.4 MAP for two field elements at once (one per lane); result in extended coordinates. */
static void ristretto_map2(ge_p3 *out, const fe *t) {
    fe r, u, v, s, s_prime, c, n, w0, w1, w2, w3, one, tmp, rd;
    fe_1(&one);
    fe_sq(&r, t);
    fe_mul(&r, &C_SQRT_M1, &r);        /* r = SQRT_M1·t^2 */
    fe_add(&u, &r, &one);
    fe_mul(&u, &u, &C_ONE_MINUS_D_SQ); /* u = (r + 1)·ONE_MINUS_D_SQ */
    fe_mul(&rd, &r, &C_D);
    fe_add(&tmp, &one, &rd);
    fe_neg(&tmp, &tmp);                /* -1 - r·D */
    fe_add(&v, &r, &C_D);
    fe_mul(&v, &tmp, &v);              /* v = (-1 - r·D)·(r + D) */
    i2 was_square = sqrt_ratio_m1(&s, &u, &v);
    fe_mul(&s_prime, &s, t);
    fe_abs(&s_prime, &s_prime);
    fe_neg(&s_prime, &s_prime);        /* s_prime = -CT_ABS(s·t) */
    fe_cmov(&s, &s_prime, ~was_square);
    fe_1(&c);
    fe_neg(&c, &c);
    fe_cmov(&c, &r, ~was_square);      /* c = -1 if was_square else r */
    fe_sub(&tmp, &r, &one);
    fe_mul(&n, &c, &tmp);
    fe_mul(&n, &n, &C_D_MINUS_ONE_SQ);
    fe_sub(&n, &n, &v);                /* N = c·(r - 1)·D_MINUS_ONE_SQ - v */
    fe_mul(&w0, &s, &v);
    fe_add(&w0, &w0, &w0);             /* w0 = 2·s·v */
    fe_mul(&w1, &n, &C_SQRT_AD_MINUS_ONE);
    fe_sq(&tmp, &s);
    fe_sub(&w2, &one, &tmp);           /* w2 = 1 - s^2 */
    fe_add(&w3, &one, &tmp);           /* w3 = 1 + s^2 */
    fe_mul(&out->X, &w0, &w3);
    fe_mul(&out->Y, &w2, &w1);
    fe_mul(&out->Z, &w1, &w3);
    fe_mul(&out->T, &w0, &w2);
}

/*
 * RFC 9496 §4.3.4 element derivation for two 64-byte strings: each half is a field element
 * (low 255 bits), mapped, and the two maps added. Lane 0 of the output from u0, lane 1 from u1.
 * Per string: one map and half an encoding in two-lane work, the same as from_uniform1 below.
 */
static void from_uniform2(u8 *o0, u8 *o1, const u8 *u0, const u8 *u1) {
    fe t;
    ge_p3 first, second, sum;
    ge_cached c;
    ge_p1p1 p;
    /* lane 0: u0's first half, lane 1: u1's first half; then the second halves. */
    fe_frombytes2(&t, u0, u1);
    ristretto_map2(&first, &t);
    fe_frombytes2(&t, u0 + 32, u1 + 32);
    ristretto_map2(&second, &t);
    ge_p3_to_cached(&c, &second);
    ge_add(&p, &first, &c);
    ge_p1p1_to_p3(&sum, &p);
    ristretto_encode2(o0, o1, &sum);
}

/* r = p with the two lanes of every coordinate exchanged. */
static void ge_swap_lanes(ge_p3 *r, const ge_p3 *p) {
    const fe *src[4] = {&p->X, &p->Y, &p->Z, &p->T};
    fe *dst[4] = {&r->X, &r->Y, &r->Z, &r->T};
    for (int c = 0; c < 4; c++) {
        UNROLL for (int i = 0; i < 12; i++) dst[c]->v[i] = __builtin_shufflevector(src[c]->v[i], src[c]->v[i], 1, 0);
    }
}

/* The same derivation for one 64-byte string: the two halves are mapped together, one per lane. */
static void from_uniform1(u8 *o, const u8 *u) {
    fe t;
    ge_p3 maps, swapped, sum;
    ge_cached c;
    ge_p1p1 p;
    u8 other[32];
    fe_frombytes2(&t, u, u + 32);
    ristretto_map2(&maps, &t);
    ge_swap_lanes(&swapped, &maps);
    ge_p3_to_cached(&c, &swapped);
    ge_add(&p, &maps, &c);             /* both lanes: MAP(first half) + MAP(second half) */
    ge_p1p1_to_p3(&sum, &p);
    ristretto_encode2(o, other, &sum);
}

/* out_i = element derivation of the 64 bytes at uniform + 64·i (RFC 9496 §4.3.4; for its vectors). */
void from_uniform_batch(int count, const u8 *uniform, u8 *out) {
    init_constants();
    for (int i = 0; i < count; i += 2) {
        if (i + 1 < count) from_uniform2(out + 32 * i, out + 32 * i + 32, uniform + 64 * i, uniform + 64 * i + 64);
        else from_uniform1(out + 32 * i, uniform + 64 * i);
    }
}

/*
 * out_i = hash_to_ristretto255(msg_i) (RFC 9380 Appendix B: expand_message_xmd with SHA-512 to
 * 64 bytes, then RFC 9496 §4.3.4) for `count` messages stored back to back at `msgs`, message i
 * being lens[i] bytes long; DST_prime = DST || I2OSP(len(DST), 1) at `dst_prime`.
 * `uniform` is scratch for 128 bytes. Public data only: variable time throughout.
 */
void hash_to_group_batch(int count, const u8 *msgs, const uint32_t *lens, const u8 *dst_prime, int dst_prime_len,
                         u8 *out, u8 *uniform) {
    init_constants();
    static const u8 zeros[128] = {0};
    sha512_state zpad;
    sha512_init(&zpad);
    sha512_update(&zpad, zeros, 128);
    const u8 *msg = msgs;
    for (int i = 0; i < count; i += 2) {
        expand_xmd_64(uniform, &zpad, msg, lens[i], dst_prime, (uint32_t) dst_prime_len);
        msg += lens[i];
        if (i + 1 < count) {
            expand_xmd_64(uniform + 64, &zpad, msg, lens[i + 1], dst_prime, (uint32_t) dst_prime_len);
            msg += lens[i + 1];
            from_uniform2(out + 32 * i, out + 32 * i + 32, uniform, uniform + 64);
        } else {
            from_uniform1(out + 32 * i, uniform);
        }
    }
}
