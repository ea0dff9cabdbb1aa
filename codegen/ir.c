/* ir.c - building and dumping the IR (ir.h).  Instructions are real BPF
 * instructions with virtual registers; these emitters are the only place
 * that knows BPF's opcode encoding. */
#include <stdlib.h>
#include <string.h>

#include "codegen/ir.h"

IrFunc *ir_func_new(Arena *a, const char *name)
{
	IrFunc *f = arena_alloc(a, sizeof *f);
	f->name = name;
	f->arena = a;
	f->cur_srcpos = -1;
	return f;
}

int ir_vreg(IrFunc *f)
{
	return IR_VREG0 + f->nvregs++;
}

int ir_label(IrFunc *f)
{
	return f->nlabels++;
}

int ir_stack_alloc(IrFunc *f, int size)
{
	int sz = (size + 7) & ~7;
	if (f->stack + sz > 512)
		return 0;
	f->stack += sz;
	return -f->stack;
}

IrInsn *ir_append(IrFunc *f, IrInsn in)
{
	f->v = arena_grow(f->arena, f->v, &f->cap, f->n + 1, sizeof *f->v);
	f->v[f->n] = in;
	return &f->v[f->n++];
}

IrInsn *ir_emit(IrFunc *f, IrInsn in)
{
	in.srcpos = f->cur_srcpos;
	return ir_append(f, in);
}

/* A plain instruction; unused registers are IR_NOREG. */
static void insn(IrFunc *f, uint8_t code, int dst, int src, int16_t off, int64_t imm)
{
	ir_emit(f, (IrInsn){ .kind = IRK_INSN, .code = code, .dst = dst, .src = src, .off = off, .imm = imm });
}

void ir_emit_mov(IrFunc *f, int dst, int src)
{
	if (dst != src)
		insn(f, BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}

void ir_emit_movi(IrFunc *f, int dst, int64_t imm)
{
	if (imm >= INT32_MIN && imm <= INT32_MAX)
		insn(f, BPF_ALU64 | BPF_MOV | BPF_K, dst, IR_NOREG, 0, imm);
	else
		ir_emit(f, (IrInsn){ .kind = IRK_LDIMM64, .dst = dst, .src = IR_NOREG, .imm = imm });
}

void ir_emit_alu(IrFunc *f, int op, int dst, int src)
{
	insn(f, (uint8_t)(BPF_ALU64 | op | BPF_X), dst, src, 0, 0);
}

void ir_emit_alui(IrFunc *f, int op, int dst, int32_t imm)
{
	insn(f, (uint8_t)(BPF_ALU64 | op | BPF_K), dst, IR_NOREG, 0, imm);
}

void ir_emit_ldx(IrFunc *f, int size, int dst, int src, int16_t off)
{
	insn(f, (uint8_t)(BPF_LDX | size | BPF_MEM), dst, src, off, 0);
}

void ir_emit_stx(IrFunc *f, int size, int dst, int16_t off, int src)
{
	insn(f, (uint8_t)(BPF_STX | size | BPF_MEM), dst, src, off, 0);
}

void ir_emit_st(IrFunc *f, int size, int dst, int16_t off, int32_t imm)
{
	insn(f, (uint8_t)(BPF_ST | size | BPF_MEM), dst, IR_NOREG, off, imm);
}

void ir_emit_atomic_add(IrFunc *f, int dst, int16_t off, int src)
{
	insn(f, BPF_STX | BPF_DW | BPF_ATOMIC, dst, src, off, BPF_ADD);
}

void ir_emit_jmp(IrFunc *f, int op, int dst, int src, int label)
{
	ir_emit(f, (IrInsn){ .kind = IRK_JUMP, .code = BPF_JMP | op | BPF_X, .dst = dst, .src = src,
	                     .label = label });
}

void ir_emit_jmpi(IrFunc *f, int op, int dst, int32_t imm, int label)
{
	ir_emit(f, (IrInsn){ .kind = IRK_JUMP, .code = BPF_JMP | op | BPF_K, .dst = dst,
	                     .src = IR_NOREG, .imm = imm, .label = label });
}

void ir_emit_ja(IrFunc *f, int label)
{
	ir_emit(f, (IrInsn){ .kind = IRK_JUMP, .code = BPF_JMP | BPF_JA, .dst = IR_NOREG,
	                     .src = IR_NOREG, .label = label });
}

void ir_emit_label(IrFunc *f, int label)
{
	ir_emit(f, (IrInsn){ .kind = IRK_LABEL, .dst = IR_NOREG, .src = IR_NOREG, .label = label });
}

void ir_emit_call(IrFunc *f, int helper, int nargs)
{
	ir_emit(f, (IrInsn){ .kind = IRK_CALL_HELPER, .code = BPF_JMP | BPF_CALL, .dst = IR_NOREG,
	                     .src = IR_NOREG, .imm = helper, .off = (int16_t)nargs });
}

/* A helper call whose r0 the caller keeps: r0 is clobbered by the next
 * call, so it goes straight into a fresh virtual register. */
int ir_emit_call_result(IrFunc *f, int helper, int nargs)
{
	ir_emit_call(f, helper, nargs);
	int r = ir_vreg(f);
	ir_emit_mov(f, r, 0);
	return r;
}

void ir_emit_exit(IrFunc *f)
{
	insn(f, BPF_JMP | BPF_EXIT, IR_NOREG, IR_NOREG, 0, 0);
}

void ir_emit_ldmap(IrFunc *f, int dst, int map)
{
	ir_emit(f, (IrInsn){ .kind = IRK_LDMAP, .dst = dst, .src = IR_NOREG, .map = map });
}

void ir_emit_ldmapval(IrFunc *f, int dst, int map, int32_t off)
{
	ir_emit(f, (IrInsn){ .kind = IRK_LDMAPVAL, .dst = dst, .src = IR_NOREG, .map = map, .imm = off });
}

/* ---- dump */

static const char *reg(char *buf, int r)
{
	if (r == IR_NOREG)
		return "-";
	if (r < IR_VREG0)
		sprintf(buf, "r%d", r);
	else
		sprintf(buf, "v%d", r - IR_VREG0);
	return buf;
}

static const char *const alu_names[16] = {
	"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
	"neg", "mod", "xor", "mov", "arsh", "end", "?", "?",
};
static const char *const jmp_names[16] = {
	"ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge",
	"call", "exit", "jlt", "jle", "jslt", "jsle", "?", "?",
};
static const char *const size_names[4] = {"w", "h", "b", "dw"};

void ir_dump(FILE *out, const IrFunc *f)
{
	char a[16], b[16];
	fprintf(out, "%s:\n", f->name);
	for (int i = 0; i < f->n; i++) {
		const IrInsn *in = &f->v[i];
		switch (in->kind) {
		case IRK_LABEL:
			fprintf(out, "L%d:\n", in->label);
			continue;
		case IRK_LDMAP:
			fprintf(out, "\t%s = map#%d\n", reg(a, in->dst), in->map);
			continue;
		case IRK_LDMAPVAL:
			fprintf(out, "\t%s = &map#%d[%lld]\n", reg(a, in->dst), in->map, (long long)in->imm);
			continue;
		case IRK_LDIMM64:
			fprintf(out, "\t%s = %lld ll\n", reg(a, in->dst), (long long)in->imm);
			continue;
		case IRK_CALL_HELPER:
			fprintf(out, "\tcall %lld\n", (long long)in->imm);
			continue;
		case IRK_JUMP:
			if (BPF_OP(in->code) == BPF_JA)
				fprintf(out, "\tgoto L%d\n", in->label);
			else if (BPF_SRC(in->code) == BPF_X)
				fprintf(out, "\tif %s %s %s goto L%d\n", reg(a, in->dst), jmp_names[BPF_OP(in->code) >> 4],
				        reg(b, in->src), in->label);
			else
				fprintf(out, "\tif %s %s %lld goto L%d\n", reg(a, in->dst), jmp_names[BPF_OP(in->code) >> 4],
				        (long long)in->imm, in->label);
			continue;
		case IRK_INSN:
			break;
		}
		int cls = BPF_CLASS(in->code);
		if (cls == BPF_ALU64 || cls == BPF_ALU) {
			const char *nm = alu_names[BPF_OP(in->code) >> 4];
			if (BPF_SRC(in->code) == BPF_X)
				fprintf(out, "\t%s %s, %s\n", nm, reg(a, in->dst), reg(b, in->src));
			else
				fprintf(out, "\t%s %s, %lld\n", nm, reg(a, in->dst), (long long)in->imm);
		} else if (cls == BPF_LDX) {
			fprintf(out, "\t%s = *(%s *)(%s %+d)\n", reg(a, in->dst), size_names[BPF_SIZE(in->code) >> 3],
			        reg(b, in->src), in->off);
		} else if (cls == BPF_STX) {
			fprintf(out, "\t*(%s *)(%s %+d) %s= %s\n", size_names[BPF_SIZE(in->code) >> 3], reg(a, in->dst),
			        in->off, BPF_MODE(in->code) == BPF_ATOMIC ? "+" : "", reg(b, in->src));
		} else if (cls == BPF_ST) {
			fprintf(out, "\t*(%s *)(%s %+d) = %lld\n", size_names[BPF_SIZE(in->code) >> 3], reg(a, in->dst),
			        in->off, (long long)in->imm);
		} else if (in->code == (BPF_JMP | BPF_EXIT)) {
			fprintf(out, "\texit\n");
		} else {
			fprintf(out, "\t<code %#x>\n", in->code);
		}
	}
}
