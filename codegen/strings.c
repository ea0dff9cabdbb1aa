/* strings.c - string operations on MAXSTRINGLEN buffers, by content
 * (stapbpf compares pointers; we compare bytes).
 *
 * A string value is a register pointing at a buffer of L->cap readable
 * bytes, NUL-terminated unless full.  Comparison with a literal is
 * unrolled against the literal's bytes; between two run-time strings it is
 * a loop bounded by MAXSTRINGLEN.  Concatenation copies both parts with
 * bpf_probe_read_kernel_str into a buffer of twice the capacity, so that
 * the second copy always fits where the verifier can prove it, then cuts
 * the result to MAXSTRINGLEN -- counted, so that the cut is never silent. */
#include "codegen/lower.h"

/* The comparison's result: falling through here means equal (0); the
 * less and greater labels mean -1 and 1. */
static int sign_result(Lower *L, int less, int greater)
{
	IrFunc *f = L->f;
	int r = ir_vreg(f), done = ir_label(f);
	ir_emit_movi(f, r, 0);
	ir_emit_ja(f, done);
	ir_emit_label(f, less);
	ir_emit_movi(f, r, -1);
	ir_emit_ja(f, done);
	ir_emit_label(f, greater);
	ir_emit_movi(f, r, 1);
	ir_emit_label(f, done);
	return r;
}

/* r = sign of (a - b) at the first difference of the unrolled literal
 * lit: result vreg holds -1, 0 or 1. */
static int compare_literal(Lower *L, int a, const char *lit, size_t len)
{
	IrFunc *f = L->f;
	int c = ir_vreg(f);
	int less = ir_label(f), greater = ir_label(f);
	if (len > (size_t)L->cap - 1)
		len = (size_t)L->cap - 1;
	for (size_t i = 0; i <= len; i++) {
		unsigned char want = i < len ? (unsigned char)lit[i] : 0;
		ir_emit_ldx(f, BPF_B, c, a, (int16_t)i);
		ir_emit_jmpi(f, BPF_JLT, c, want, less);
		ir_emit_jmpi(f, BPF_JGT, c, want, greater);
	}
	return sign_result(L, less, greater);
}

/* The same between two run-time strings: a loop over at most cap bytes. */
static int compare_runtime(Lower *L, int a, int b)
{
	IrFunc *f = L->f;
	int i = ir_vreg(f), ca = ir_vreg(f), cb = ir_vreg(f), p = ir_vreg(f);
	int top = ir_label(f), less = ir_label(f), greater = ir_label(f), equal = ir_label(f);
	ir_emit_movi(f, i, 0);
	ir_emit_label(f, top);
	ir_emit_jmpi(f, BPF_JGE, i, L->cap, equal);
	ir_emit_mov(f, p, a);
	ir_emit_alu(f, BPF_ADD, p, i);
	ir_emit_ldx(f, BPF_B, ca, p, 0);
	ir_emit_mov(f, p, b);
	ir_emit_alu(f, BPF_ADD, p, i);
	ir_emit_ldx(f, BPF_B, cb, p, 0);
	ir_emit_jmp(f, BPF_JLT, ca, cb, less);
	ir_emit_jmp(f, BPF_JGT, ca, cb, greater);
	ir_emit_jmpi(f, BPF_JEQ, ca, 0, equal);
	ir_emit_alui(f, BPF_ADD, i, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, equal);
	return sign_result(L, less, greater);
}

int lower_strcmp(Lower *L, Node *lhs, Node *rhs, bool *swapped)
{
	*swapped = false;
	if (rhs->kind == AST_STR)
		return compare_literal(L, lower_expr(L, lhs), rhs->str, rhs->slen);
	if (lhs->kind == AST_STR) {
		*swapped = true;
		return compare_literal(L, lower_expr(L, rhs), lhs->str, lhs->slen);
	}
	int a = lower_expr(L, lhs);
	int b = lower_expr(L, rhs);
	return compare_runtime(L, a, b);
}

/* Copy string src to dst+off where off (a register, 0..cap-1) is the
 * length already there; dst has 2*cap bytes.  Returns the new length. */
static void append(Lower *L, int dst, int len, int src)
{
	IrFunc *f = L->f;
	ir_emit_mov(f, 1, dst);
	ir_emit_alu(f, BPF_ADD, 1, len);
	ir_emit_movi(f, 2, L->cap);
	ir_emit_mov(f, 3, src);
	ir_emit_call(f, BPF_FUNC_probe_read_kernel_str, 3);
}

int lower_concat_into(Lower *L, int dst2, Node *lhs, Node *rhs)
{
	IrFunc *f = L->f;
	/* first part: its length (without the NUL) is where the second goes */
	int len = ir_vreg(f);
	if (lhs->kind == AST_STR) {
		store_literal(L, dst2, 0, lhs->str, lhs->slen, L->cap);
		size_t n = lhs->slen < (size_t)L->cap - 1 ? lhs->slen : (size_t)L->cap - 1;
		ir_emit_movi(f, len, (int64_t)n);
	} else {
		int a = lower_expr(L, lhs);
		copy_string(L, dst2, 0, a, L->cap);
		ir_emit_mov(f, len, 0);
		/* the helper returns the bytes copied with the NUL, or < 0 */
		int ok = ir_label(f), clamp = ir_label(f);
		ir_emit_alui(f, BPF_SUB, len, 1);
		ir_emit_jmpi(f, BPF_JSGE, len, 0, ok);
		ir_emit_movi(f, len, 0);
		ir_emit_label(f, ok);
		ir_emit_jmpi(f, BPF_JLE, len, L->cap - 1, clamp);
		ir_emit_movi(f, len, L->cap - 1);
		ir_emit_label(f, clamp);
	}
	int b;
	if (rhs->kind == AST_STR) {
		/* a literal second part still goes through a buffer: its place
		 * depends on the first part's run-time length */
		int off = scratch_alloc(L, L->cap);
		b = scratch_ptr(L, off);
		store_literal(L, b, 0, rhs->str, rhs->slen, L->cap);
	} else {
		b = lower_expr(L, rhs);
	}
	append(L, dst2, len, b);
	/* the result holds at most MAXSTRINGLEN bytes with its NUL; when the
	 * parts did not fit, count it: the runtime says so at the end */
	int fits = ir_label(f), t = ir_vreg(f);
	ir_emit_mov(f, t, 0);
	ir_emit_alu(f, BPF_ADD, t, len);
	ir_emit_jmpi(f, BPF_JSLE, t, L->cap, fits);
	int p = data_ptr(L, BSTAP_DATA_TRUNCATED), one = ir_vreg(f);
	ir_emit_movi(f, one, 1);
	ir_emit_atomic_add(f, p, 0, one);
	ir_emit_label(f, fits);
	ir_emit_st(f, BPF_B, dst2, (int16_t)(L->cap - 1), 0);
	return dst2;
}

int lower_concat(Lower *L, Node *n)
{
	int off = scratch_alloc(L, 2 * L->cap);
	int dst = scratch_ptr(L, off);
	return lower_concat_into(L, dst, n->lhs, n->rhs);
}
