/*
 * Variable-time multi-scalar multiplication over ristretto255 (RFC 9496) for WebAssembly.
 *
 * Used only on PUBLIC data: the RFC 9497 §2.2.1 composite weights d_i, the proof scalars (c, s)
 * and public points (SPEC.md §3.3: multiplications by public scalars MAY be variable-time).
 * Never pass a secret scalar here: digit recoding, bucket choice and skips branch on its bits.
 *
 * Self-contained: no libc, no allocator. The caller hands in byte offsets into this module's
 * memory (see msm.ts); all scratch lives in caller-provided regions.
 *
 * Field: GF(2^255 - 19), ten signed limbs of alternating 26/25 bits with 64-bit products (wasm32
 * has i64.mul but no 128-bit multiply). Every operation returns carried limbs (|even| <= 2^25 + e,
 * |odd| <= 2^24 + e), so products of any two outputs stay far below 2^63.
 * Curve: extended twisted-Edwards coordinates (X:Y:Z:T), a = -1 (Hisil–Wong–Carter–Dawson 2008).
 */
#include <stdint.h>

typedef int32_t fe[10];

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

/* ---------------------------------------------------------------- field arithmetic */

/* Limb i starts at bit OFF[i] and is WID[i] bits wide. */
static const int OFF[10] = {0, 26, 51, 77, 102, 128, 153, 179, 204, 230};
static const int WID[10] = {26, 25, 26, 25, 26, 25, 26, 25, 26, 25};

static void fe_0(fe h) { for (int i = 0; i < 10; i++) h[i] = 0; }
static void fe_1(fe h) { fe_0(h); h[0] = 1; }
static void fe_copy(fe h, const fe f) { for (int i = 0; i < 10; i++) h[i] = f[i]; }

/*
 * Unrolled kernels: wasm keeps scalar locals in registers but arrays in linear memory.
 * FE_CARRY_STORE carries t0..t9 in ref10's order (every step stays in range) and stores into h;
 * the carry out of the top limb re-enters limb 0 times 19 because 2^255 = 19 (mod p).
 */
#define FE_CARRY_STORE \
    int64_t c; \
    c = (t0 + ((int64_t) 1 << 25)) >> 26; t1 += c; t0 -= c << 26; \
    c = (t4 + ((int64_t) 1 << 25)) >> 26; t5 += c; t4 -= c << 26; \
    c = (t1 + ((int64_t) 1 << 24)) >> 25; t2 += c; t1 -= c << 25; \
    c = (t5 + ((int64_t) 1 << 24)) >> 25; t6 += c; t5 -= c << 25; \
    c = (t2 + ((int64_t) 1 << 25)) >> 26; t3 += c; t2 -= c << 26; \
    c = (t6 + ((int64_t) 1 << 25)) >> 26; t7 += c; t6 -= c << 26; \
    c = (t3 + ((int64_t) 1 << 24)) >> 25; t4 += c; t3 -= c << 25; \
    c = (t7 + ((int64_t) 1 << 24)) >> 25; t8 += c; t7 -= c << 25; \
    c = (t4 + ((int64_t) 1 << 25)) >> 26; t5 += c; t4 -= c << 26; \
    c = (t8 + ((int64_t) 1 << 25)) >> 26; t9 += c; t8 -= c << 26; \
    c = (t9 + ((int64_t) 1 << 24)) >> 25; t0 += c * 19; t9 -= c << 25; \
    c = (t0 + ((int64_t) 1 << 25)) >> 26; t1 += c; t0 -= c << 26; \
    h[0] = (int32_t) t0; \
    h[1] = (int32_t) t1; \
    h[2] = (int32_t) t2; \
    h[3] = (int32_t) t3; \
    h[4] = (int32_t) t4; \
    h[5] = (int32_t) t5; \
    h[6] = (int32_t) t6; \
    h[7] = (int32_t) t7; \
    h[8] = (int32_t) t8; \
    h[9] = (int32_t) t9;
/*
 * h = f·g. Limb i has weight 2^OFF[i]; OFF[i] + OFF[j] exceeds OFF[i+j] by one exactly when i and
 * j are both odd (hence the factor 2), and a product landing at index >= 10 wraps with factor 19.
 */
static void fe_mul(fe h, const fe f, const fe g) {
    int64_t f0 = f[0], g0 = g[0];
    int64_t f1 = f[1], g1 = g[1];
    int64_t f2 = f[2], g2 = g[2];
    int64_t f3 = f[3], g3 = g[3];
    int64_t f4 = f[4], g4 = g[4];
    int64_t f5 = f[5], g5 = g[5];
    int64_t f6 = f[6], g6 = g[6];
    int64_t f7 = f[7], g7 = g[7];
    int64_t f8 = f[8], g8 = g[8];
    int64_t f9 = f[9], g9 = g[9];
    int64_t f1_2 = 2 * f1;
    int64_t f3_2 = 2 * f3;
    int64_t f5_2 = 2 * f5;
    int64_t f7_2 = 2 * f7;
    int64_t f9_2 = 2 * f9;
    int64_t g1_19 = 19 * g1;
    int64_t g2_19 = 19 * g2;
    int64_t g3_19 = 19 * g3;
    int64_t g4_19 = 19 * g4;
    int64_t g5_19 = 19 * g5;
    int64_t g6_19 = 19 * g6;
    int64_t g7_19 = 19 * g7;
    int64_t g8_19 = 19 * g8;
    int64_t g9_19 = 19 * g9;
    int64_t t0 = f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
    int64_t t1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
    int64_t t2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
    int64_t t3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
    int64_t t4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
    int64_t t5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
    int64_t t6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
    int64_t t7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
    int64_t t8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
    int64_t t9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
    FE_CARRY_STORE
}
/* h = f^2: each cross term f_i·f_j (i < j) once, doubled. */
static void fe_sq(fe h, const fe f) {
    int64_t f0 = f[0];
    int64_t f1 = f[1];
    int64_t f2 = f[2];
    int64_t f3 = f[3];
    int64_t f4 = f[4];
    int64_t f5 = f[5];
    int64_t f6 = f[6];
    int64_t f7 = f[7];
    int64_t f8 = f[8];
    int64_t f9 = f[9];
    int64_t t0 = f0 * f0 + f1 * (f9 * 76) + f2 * (f8 * 38) + f3 * (f7 * 76) + f4 * (f6 * 38) + f5 * (f5 * 38);
    int64_t t1 = f0 * (f1 * 2) + f2 * (f9 * 38) + f3 * (f8 * 38) + f4 * (f7 * 38) + f5 * (f6 * 38);
    int64_t t2 = f0 * (f2 * 2) + f1 * (f1 * 2) + f3 * (f9 * 76) + f4 * (f8 * 38) + f5 * (f7 * 76) + f6 * (f6 * 19);
    int64_t t3 = f0 * (f3 * 2) + f1 * (f2 * 2) + f4 * (f9 * 38) + f5 * (f8 * 38) + f6 * (f7 * 38);
    int64_t t4 = f0 * (f4 * 2) + f1 * (f3 * 4) + f2 * f2 + f5 * (f9 * 76) + f6 * (f8 * 38) + f7 * (f7 * 38);
    int64_t t5 = f0 * (f5 * 2) + f1 * (f4 * 2) + f2 * (f3 * 2) + f6 * (f9 * 38) + f7 * (f8 * 38);
    int64_t t6 = f0 * (f6 * 2) + f1 * (f5 * 4) + f2 * (f4 * 2) + f3 * (f3 * 2) + f7 * (f9 * 76) + f8 * (f8 * 19);
    int64_t t7 = f0 * (f7 * 2) + f1 * (f6 * 2) + f2 * (f5 * 2) + f3 * (f4 * 2) + f8 * (f9 * 38);
    int64_t t8 = f0 * (f8 * 2) + f1 * (f7 * 4) + f2 * (f6 * 2) + f3 * (f5 * 4) + f4 * f4 + f9 * (f9 * 38);
    int64_t t9 = f0 * (f9 * 2) + f1 * (f8 * 2) + f2 * (f7 * 2) + f3 * (f6 * 2) + f4 * (f5 * 2);
    FE_CARRY_STORE
}
static void fe_add(fe h, const fe f, const fe g) {
    int64_t t0 = (int64_t) f[0] + g[0];
    int64_t t1 = (int64_t) f[1] + g[1];
    int64_t t2 = (int64_t) f[2] + g[2];
    int64_t t3 = (int64_t) f[3] + g[3];
    int64_t t4 = (int64_t) f[4] + g[4];
    int64_t t5 = (int64_t) f[5] + g[5];
    int64_t t6 = (int64_t) f[6] + g[6];
    int64_t t7 = (int64_t) f[7] + g[7];
    int64_t t8 = (int64_t) f[8] + g[8];
    int64_t t9 = (int64_t) f[9] + g[9];
    FE_CARRY_STORE
}
static void fe_sub(fe h, const fe f, const fe g) {
    int64_t t0 = (int64_t) f[0] - g[0];
    int64_t t1 = (int64_t) f[1] - g[1];
    int64_t t2 = (int64_t) f[2] - g[2];
    int64_t t3 = (int64_t) f[3] - g[3];
    int64_t t4 = (int64_t) f[4] - g[4];
    int64_t t5 = (int64_t) f[5] - g[5];
    int64_t t6 = (int64_t) f[6] - g[6];
    int64_t t7 = (int64_t) f[7] - g[7];
    int64_t t8 = (int64_t) f[8] - g[8];
    int64_t t9 = (int64_t) f[9] - g[9];
    FE_CARRY_STORE
}
static void fe_neg(fe h, const fe f) {
    int64_t t0 = -(int64_t) f[0];
    int64_t t1 = -(int64_t) f[1];
    int64_t t2 = -(int64_t) f[2];
    int64_t t3 = -(int64_t) f[3];
    int64_t t4 = -(int64_t) f[4];
    int64_t t5 = -(int64_t) f[5];
    int64_t t6 = -(int64_t) f[6];
    int64_t t7 = -(int64_t) f[7];
    int64_t t8 = -(int64_t) f[8];
    int64_t t9 = -(int64_t) f[9];
    FE_CARRY_STORE
}

static void fe_sqn(fe h, const fe f, int n) {
    fe_sq(h, f);
    while (--n > 0) fe_sq(h, h);
}

/* Reads 255 bits (the top bit of byte 31 is ignored; callers check it where it matters). */
static void fe_frombytes(fe h, const unsigned char *s) {
    unsigned char b[40];
    for (int i = 0; i < 32; i++) b[i] = s[i];
    for (int i = 32; i < 40; i++) b[i] = 0;
    for (int i = 0; i < 10; i++) {
        int o = OFF[i] >> 3;
        uint64_t w = 0;
        for (int k = 7; k >= 0; k--) w = (w << 8) | b[o + k];
        h[i] = (int32_t) ((w >> (OFF[i] & 7)) & (((uint64_t) 1 << WID[i]) - 1));
    }
    {
        int64_t t0 = h[0], t1 = h[1], t2 = h[2], t3 = h[3], t4 = h[4], t5 = h[5], t6 = h[6], t7 = h[7], t8 = h[8], t9 = h[9];
        FE_CARRY_STORE
    }
}

/* Canonical little-endian encoding (fully reduced mod p). */
static void fe_tobytes(unsigned char *s, const fe f) {
    int64_t t[10];
    for (int i = 0; i < 10; i++) t[i] = f[i];
    /* q = floor((h + 19) / 2^255) is 1 exactly when h >= p (h is carried, so |h| < 2^256). */
    int64_t q = (19 * t[9] + ((int64_t) 1 << 24)) >> 25;
    for (int i = 0; i < 10; i++) q = (t[i] + q) >> WID[i];
    t[0] += 19 * q;
    /* Now 0 <= h < 2^255 after dropping the top carry: propagate without wrapping. */
    for (int i = 0; i < 9; i++) {
        int64_t c = t[i] >> WID[i];
        t[i + 1] += c;
        t[i] -= c << WID[i];
    }
    t[9] &= ((int64_t) 1 << 25) - 1;
    for (int i = 0; i < 32; i++) s[i] = 0;
    for (int i = 0; i < 10; i++) {
        uint64_t v = (uint64_t) t[i] << (OFF[i] & 7);
        int o = OFF[i] >> 3;
        for (int k = 0; k < 5 && o + k < 32; k++) s[o + k] |= (unsigned char) (v >> (8 * k));
    }
}

static int fe_isnegative(const fe f) {
    unsigned char s[32];
    fe_tobytes(s, f);
    return s[0] & 1;
}

static int fe_iszero(const fe f) {
    unsigned char s[32];
    unsigned char acc = 0;
    fe_tobytes(s, f);
    for (int i = 0; i < 32; i++) acc |= s[i];
    return acc == 0;
}

static void fe_abs(fe h, const fe f) {
    if (fe_isnegative(f)) fe_neg(h, f);
    else fe_copy(h, f);
}

/* z^((p-5)/8) = z^(2^252 - 3). */
static void fe_pow22523(fe out, const fe z) {
    fe t0, t1, t2;
    fe_sq(t0, z);            /* 2 */
    fe_sqn(t1, t0, 2);       /* 8 */
    fe_mul(t1, z, t1);       /* 9 */
    fe_mul(t0, t0, t1);      /* 11 */
    fe_sq(t0, t0);           /* 22 */
    fe_mul(t0, t1, t0);      /* 2^5 - 1 */
    fe_sqn(t1, t0, 5);
    fe_mul(t0, t1, t0);      /* 2^10 - 1 */
    fe_sqn(t1, t0, 10);
    fe_mul(t1, t1, t0);      /* 2^20 - 1 */
    fe_sqn(t2, t1, 20);
    fe_mul(t1, t2, t1);      /* 2^40 - 1 */
    fe_sqn(t1, t1, 10);
    fe_mul(t0, t1, t0);      /* 2^50 - 1 */
    fe_sqn(t1, t0, 50);
    fe_mul(t1, t1, t0);      /* 2^100 - 1 */
    fe_sqn(t2, t1, 100);
    fe_mul(t1, t2, t1);      /* 2^200 - 1 */
    fe_sqn(t1, t1, 50);
    fe_mul(t0, t1, t0);      /* 2^250 - 1 */
    fe_sqn(t0, t0, 2);       /* 2^252 - 4 */
    fe_mul(out, t0, z);      /* 2^252 - 3 */
}

/* Curve constants (RFC 9496 §4.1), little-endian. */
static const unsigned char D_BYTES[32] = {
    0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75, 0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
    0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c, 0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52};
static const unsigned char D2_BYTES[32] = {
    0x59, 0xf1, 0xb2, 0x26, 0x94, 0x9b, 0xd6, 0xeb, 0x56, 0xb1, 0x83, 0x82, 0x9a, 0x14, 0xe0, 0x00,
    0x30, 0xd1, 0xf3, 0xee, 0xf2, 0x80, 0x8e, 0x19, 0xe7, 0xfc, 0xdf, 0x56, 0xdc, 0xd9, 0x06, 0x24};
static const unsigned char SQRTM1_BYTES[32] = {
    0xb0, 0xa0, 0x0e, 0x4a, 0x27, 0x1b, 0xee, 0xc4, 0x78, 0xe4, 0x2f, 0xad, 0x06, 0x18, 0x43, 0x2f,
    0xa7, 0xd7, 0xfb, 0x3d, 0x99, 0x00, 0x4d, 0x2b, 0x0b, 0xdf, 0xc1, 0x4f, 0x80, 0x24, 0x83, 0x2b};
static const unsigned char INVSQRTAMD_BYTES[32] = {
    0xea, 0x40, 0x5d, 0x80, 0xaa, 0xfd, 0xc8, 0x99, 0xbe, 0x72, 0x41, 0x5a, 0x17, 0x16, 0x2f, 0x9d,
    0x40, 0xd8, 0x01, 0xfe, 0x91, 0x7b, 0xc2, 0x16, 0xa2, 0xfc, 0xaf, 0xcf, 0x05, 0x89, 0x6c, 0x78};

static fe C_D, C_D2, C_SQRTM1, C_INVSQRTAMD;
static int constants_ready = 0;

static void init_constants(void) {
    if (constants_ready) return;
    fe_frombytes(C_D, D_BYTES);
    fe_frombytes(C_D2, D2_BYTES);
    fe_frombytes(C_SQRTM1, SQRTM1_BYTES);
    fe_frombytes(C_INVSQRTAMD, INVSQRTAMD_BYTES);
    constants_ready = 1;
}

/* RFC 9496 §4.2 SQRT_RATIO_M1(u, v): returns was_square, x = +sqrt(u/v) or +sqrt(i·u/v). */
static int sqrt_ratio_m1(fe x, const fe u, const fe v) {
    fe v3, vxx, check, x_i, t;
    fe_sq(v3, v);
    fe_mul(v3, v3, v);           /* v^3 */
    fe_sq(x, v3);
    fe_mul(x, x, v);             /* v^7 */
    fe_mul(x, x, u);             /* u·v^7 */
    fe_pow22523(x, x);
    fe_mul(x, x, v3);
    fe_mul(x, x, u);             /* r = u·v^3·(u·v^7)^((p-5)/8) */
    fe_sq(vxx, x);
    fe_mul(vxx, vxx, v);         /* check = v·r^2 */
    fe_sub(check, vxx, u);
    int correct_sign = fe_iszero(check);
    fe_add(check, vxx, u);
    int flipped_sign = fe_iszero(check);
    fe_mul(t, u, C_SQRTM1);
    fe_add(check, vxx, t);
    int flipped_sign_i = fe_iszero(check);
    fe_mul(x_i, x, C_SQRTM1);
    if (flipped_sign | flipped_sign_i) fe_copy(x, x_i);
    fe_abs(x, x);
    return correct_sign | flipped_sign;
}

/* ---------------------------------------------------------------- points */

typedef struct { fe X, Y, Z, T; } ge_p3;
/* Affine precomputed form of an input point (Z = 1): Y+X, Y−X, 2d·X·Y. */
typedef struct { fe ypx, ymx, xy2d; } ge_niels;

static void ge_identity(ge_p3 *p) { fe_0(p->X); fe_1(p->Y); fe_1(p->Z); fe_0(p->T); }

/* RFC 9496 §4.3.1 Decode. Returns 0 and the point, or -1 for any refused encoding. */
static int ristretto_decode(ge_p3 *h, const unsigned char *s) {
    /* Step 1: s must be the canonical (< p) encoding of a non-negative (even) field element. */
    if (s[31] & 0x80) return -1;
    {
        int ge_p = (s[0] >= 0xed) && (s[31] == 0x7f);
        for (int i = 1; i < 31 && ge_p; i++) ge_p = (s[i] == 0xff);
        if (ge_p) return -1;
    }
    if (s[0] & 1) return -1;
    fe s_, ss, u1, u2, u2_sqr, v, t, one, invsqrt, den_x, den_y;
    fe_frombytes(s_, s);
    fe_sq(ss, s_);
    fe_1(one);
    fe_sub(u1, one, ss);          /* u1 = 1 - s^2 */
    fe_add(u2, one, ss);          /* u2 = 1 + s^2 */
    fe_sq(u2_sqr, u2);
    fe_sq(t, u1);
    fe_mul(t, C_D, t);
    fe_neg(t, t);
    fe_sub(v, t, u2_sqr);         /* v = -(D·u1^2) - u2_sqr */
    fe_mul(t, v, u2_sqr);
    int was_square = sqrt_ratio_m1(invsqrt, one, t);
    fe_mul(den_x, invsqrt, u2);
    fe_mul(den_y, invsqrt, den_x);
    fe_mul(den_y, den_y, v);
    fe_mul(h->X, s_, den_x);
    fe_add(h->X, h->X, h->X);
    fe_abs(h->X, h->X);           /* x = CT_ABS(2·s·den_x) */
    fe_mul(h->Y, u1, den_y);      /* y = u1·den_y */
    fe_1(h->Z);
    fe_mul(h->T, h->X, h->Y);
    /* Step 3: reject if !was_square, t negative, or y = 0. */
    if (!was_square || fe_isnegative(h->T) || fe_iszero(h->Y)) return -1;
    return 0;
}

/* RFC 9496 §4.3.2 Encode. */
static void ristretto_encode(unsigned char *s, const ge_p3 *h) {
    fe u1, u2, t, one, invsqrt, den1, den2, z_inv, ix, iy, enchanted, x, y, den_inv, s_;
    fe_add(u1, h->Z, h->Y);
    fe_sub(t, h->Z, h->Y);
    fe_mul(u1, u1, t);            /* u1 = (z0 + y0)(z0 - y0) */
    fe_mul(u2, h->X, h->Y);       /* u2 = x0·y0 */
    fe_sq(t, u2);
    fe_mul(t, u1, t);
    fe_1(one);
    (void) sqrt_ratio_m1(invsqrt, one, t);
    fe_mul(den1, invsqrt, u1);
    fe_mul(den2, invsqrt, u2);
    fe_mul(z_inv, den1, den2);
    fe_mul(z_inv, z_inv, h->T);
    fe_mul(ix, h->X, C_SQRTM1);
    fe_mul(iy, h->Y, C_SQRTM1);
    fe_mul(enchanted, den1, C_INVSQRTAMD);
    fe_mul(t, h->T, z_inv);
    int rotate = fe_isnegative(t);
    if (rotate) {
        fe_copy(x, iy);
        fe_copy(y, ix);
        fe_copy(den_inv, enchanted);
    } else {
        fe_copy(x, h->X);
        fe_copy(y, h->Y);
        fe_copy(den_inv, den2);
    }
    fe_mul(t, x, z_inv);
    if (fe_isnegative(t)) fe_neg(y, y);
    fe_sub(s_, h->Z, y);
    fe_mul(s_, den_inv, s_);
    fe_abs(s_, s_);
    fe_tobytes(s, s_);
}

static void ge_to_niels(ge_niels *n, const ge_p3 *p) {
    /* Decoded points have Z = 1, so X, Y are affine. */
    fe_add(n->ypx, p->Y, p->X);
    fe_sub(n->ymx, p->Y, p->X);
    fe_mul(n->xy2d, p->T, C_D2);
}

/* r = p + q (add-2008-hwcd-3, a = -1, k = 2d), q affine. sign < 0 adds −q. */
static void ge_add_niels(ge_p3 *r, const ge_p3 *p, const ge_niels *q, int negate) {
    fe a, b, c, d, e, f, g, h;
    fe_sub(a, p->Y, p->X);
    fe_add(b, p->Y, p->X);
    /* −q swaps Y+X with Y−X and negates T. */
    fe_mul(a, a, negate ? q->ypx : q->ymx);
    fe_mul(b, b, negate ? q->ymx : q->ypx);
    fe_mul(c, p->T, q->xy2d);
    if (negate) fe_neg(c, c);
    fe_add(d, p->Z, p->Z);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* r = p + q, both projective extended (add-2008-hwcd-3). */
static void ge_add(ge_p3 *r, const ge_p3 *p, const ge_p3 *q) {
    fe a, b, c, d, e, f, g, h, t;
    fe_sub(a, p->Y, p->X);
    fe_sub(t, q->Y, q->X);
    fe_mul(a, a, t);
    fe_add(b, p->Y, p->X);
    fe_add(t, q->Y, q->X);
    fe_mul(b, b, t);
    fe_mul(c, p->T, q->T);
    fe_mul(c, c, C_D2);
    fe_mul(d, p->Z, q->Z);
    fe_add(d, d, d);
    fe_sub(e, b, a);
    fe_sub(f, d, c);
    fe_add(g, d, c);
    fe_add(h, b, a);
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* r = 2p (dbl-2008-hwcd, a = -1). */
static void ge_dbl(ge_p3 *r, const ge_p3 *p) {
    fe a, b, c, e, f, g, h, t;
    fe_sq(a, p->X);
    fe_sq(b, p->Y);
    fe_sq(c, p->Z);
    fe_add(c, c, c);
    fe_add(t, p->X, p->Y);
    fe_sq(t, t);
    fe_add(h, a, b);
    fe_sub(e, h, t);          /* e = A + B - (X+Y)^2 = -E */
    fe_sub(g, a, b);          /* g = A - B = -G (G = -A + B with a = -1) */
    fe_add(f, c, g);          /* f = C + g = -F */
    /* The three sign flips cancel pairwise in every product below. */
    fe_mul(r->X, e, f);
    fe_mul(r->Y, g, h);
    fe_mul(r->T, e, h);
    fe_mul(r->Z, f, g);
}

/* ---------------------------------------------------------------- exports */

/* Bytes of niels table per point (for the caller's layout). */
int msm_table_bytes(void) { return (int) sizeof(ge_niels); }

/*
 * Decodes `count` packed points into the niels table at `table` (or only checks them when
 * table = 0). Returns 0, or −(1+i) for the first point i that is not a canonical encoding or,
 * when `reject_identity`, is the identity (RFC 9497 §3.3). Stops at the first refusal.
 */
int decode_points(int count, const unsigned char *points, ge_niels *table, int reject_identity) {
    init_constants();
    for (int i = 0; i < count; i++) {
        const unsigned char *s = points + 32 * i;
        unsigned char acc = 0;
        for (int k = 0; k < 32; k++) acc |= s[k];
        ge_p3 p;
        if (acc == 0) {
            /* The identity encodes as 32 zero bytes; §4.3.1 would decode it fine. */
            if (reject_identity) return -(1 + i);
            ge_identity(&p);
        } else if (ristretto_decode(&p, s) != 0) {
            return -(1 + i);
        }
        if (table) ge_to_niels(&table[i], &p);
    }
    return 0;
}

/* The c bits of the little-endian scalar k starting at `bit` (msm_table recodes them to signed digits). */
static int scalar_window(const unsigned char *k, int bit, int c) {
    int byte = bit >> 3;
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | (byte + i < 32 ? k[byte + i] : 0);
    return (int) ((v >> (bit & 7)) & ((1u << c) - 1));
}

/* Window size minimising windows·(n mixed adds + 2·2^(c−1) bucket adds). */
int msm_window(int count) {
    int best = 1;
    double best_cost = 1e300;
    for (int c = 2; c <= 15; c++) {
        int windows = 256 / c + 1; /* as msm_windows */
        double cost = (double) windows * ((double) count * 7.0 + (double) (1 << c) * 9.0) + 253.0 * 8.0;
        if (cost < best_cost) {
            best_cost = cost;
            best = c;
        }
    }
    return best;
}

static int msm_windows(int c) {
    /* windows·c >= 257 so the last digit absorbs the final carry of any 256-bit scalar: callers
       pass reduced scalars (< L < 2^253), but an unreduced one must still give k·P, never garbage. */
    return 256 / c + 1;
}

/* Bytes of scratch needed by msm_table for `count` points: buckets, then 16-bit digits. */
int msm_work_bytes(int count) {
    int c = msm_window(count);
    return (int) sizeof(ge_p3) * (1 << (c - 1)) + 2 * msm_windows(c) * count;
}

/*
 * out = encode(Σ k_i·P_i) for scalars (32-byte little-endian) at `scalars` and the niels
 * table from decode_points. Pippenger with signed digits in [−2^(c−1), 2^(c−1)]: 2^(c−1) buckets.
 * Variable time in the scalars: only for public scalars.
 */
void msm_table(int count, const unsigned char *scalars, const ge_niels *table, unsigned char *out, unsigned char *work) {
    init_constants();
    int c = msm_window(count);
    int half = 1 << (c - 1);
    int windows = msm_windows(c);
    ge_p3 *buckets = (ge_p3 *) work;
    int16_t *digits = (int16_t *) (work + sizeof(ge_p3) * half);
    for (int i = 0; i < count; i++) {
        const unsigned char *k = scalars + 32 * i;
        int carry = 0;
        for (int w = 0; w < windows; w++) {
            int digit = scalar_window(k, w * c, c) + carry;
            carry = digit > half;
            if (carry) digit -= 1 << c;
            digits[w * count + i] = (int16_t) digit;
        }
    }
    ge_p3 acc, running, sum;
    ge_identity(&acc);
    for (int w = windows - 1; w >= 0; w--) {
        if (w != windows - 1) for (int d = 0; d < c; d++) ge_dbl(&acc, &acc);
        int top = 0; /* highest bucket touched in this window */
        for (int b = 0; b < half; b++) ge_identity(&buckets[b]);
        const int16_t *row = digits + w * count;
        for (int i = 0; i < count; i++) {
            int digit = row[i];
            if (digit == 0) continue;
            int index = digit > 0 ? digit : -digit;
            ge_add_niels(&buckets[index - 1], &buckets[index - 1], &table[i], digit < 0);
            if (index > top) top = index;
        }
        if (top == 0) continue;
        /* Σ_b b·bucket_b as running sums from the top bucket down. */
        running = buckets[top - 1];
        sum = running;
        for (int b = top - 2; b >= 0; b--) {
            ge_add(&running, &running, &buckets[b]);
            ge_add(&sum, &sum, &running);
        }
        ge_add(&acc, &acc, &sum);
    }
    ristretto_encode(out, &acc);
}

/* Convenience: decode then multiply. Returns decode_points' result; `out` is set only on 0. */
int msm(int count, const unsigned char *scalars, const unsigned char *points, unsigned char *out, ge_niels *table,
       unsigned char *work, int reject_identity) {
    int status = decode_points(count, points, table, reject_identity);
    if (status != 0) return status;
    msm_table(count, scalars, table, out, work);
    return 0;
}
