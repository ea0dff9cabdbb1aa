/* emit.c - allocated IR to BPF instructions.
 *
 * Requires: IR on physical registers only (regalloc.c).  Provides: struct
 * bpf_insn[] with ld_imm64 pairs, jump offsets resolved and range-checked,
 * and a relocation for each map reference (elf_write.c turns them into ELF
 * relocations that libbpf patches at load). */
#include <stdlib.h>
#include <string.h>

#include "codegen/ir.h"

static int slots(const IrInsn *in)
{
	switch (in->kind) {
	case IRK_LABEL:
		return 0;
	case IRK_LDMAP: case IRK_LDMAPVAL: case IRK_LDIMM64:
		return 2;
	case IRK_INSN: case IRK_JUMP: case IRK_CALL_HELPER:
		return 1;
	}
	return 1;
}

int bpf_emit(const IrFunc *f, ElfProg *out, Arena *a, const SrcLoc *where)
{
	/* pass 1: the slot of every instruction and label */
	int *label_pos = arena_alloc(a, sizeof(int) * (size_t)(f->nlabels + 1));
	int pos = 0;
	for (int i = 0; i < f->n; i++) {
		if (f->v[i].kind == IRK_LABEL)
			label_pos[f->v[i].label] = pos;
		pos += slots(&f->v[i]);
	}
	if (pos > 1000000) {
		diag_at(DIAG_ERROR, "error", where, "probe needs %d instructions (limit 1000000)", pos);
		return -1;
	}
	struct bpf_insn *insns = arena_alloc(a, sizeof *insns * (size_t)(pos + 1));
	int *srcpos = arena_alloc(a, sizeof(int) * (size_t)(pos + 1));
	int nrelocs = 0, caprelocs = 0;
	ElfReloc *relocs = NULL;
	pos = 0;
	for (int i = 0; i < f->n; i++) {
		const IrInsn *in = &f->v[i];
		struct bpf_insn *o = &insns[pos];
		if (in->kind != IRK_LABEL)
			srcpos[pos] = in->srcpos;
		if ((in->dst >= IR_VREG0) || (in->src >= IR_VREG0)) {
			diag_at(DIAG_ERROR, "internal error", where, "unallocated register in %s", f->name);
			return -1;
		}
		switch (in->kind) {
		case IRK_LABEL:
			continue;
		case IRK_LDMAP: case IRK_LDMAPVAL: case IRK_LDIMM64:
			o[0].code = BPF_LD | BPF_DW | BPF_IMM;
			o[0].dst_reg = (uint8_t)in->dst;
			if (in->kind == IRK_LDIMM64) {
				o[0].imm = (int32_t)(uint32_t)in->imm;
				o[1].imm = (int32_t)(uint32_t)((uint64_t)in->imm >> 32);
			} else {
				/* libbpf fills src_reg and the fd; imm carries the
				 * offset into a data map's value */
				o[0].imm = in->kind == IRK_LDMAPVAL ? (int32_t)in->imm : 0;
				relocs = arena_grow(a, relocs, &caprelocs, nrelocs + 1, sizeof *relocs);
				relocs[nrelocs++] = (ElfReloc){ .insn = pos, .map = in->map };
			}
			srcpos[pos + 1] = -1;
			pos += 2;
			continue;
		case IRK_JUMP: {
			int target = label_pos[in->label];
			int delta = target - (pos + 1);
			if (delta < INT16_MIN || delta > INT16_MAX) {
				diag_at(DIAG_ERROR, "error", where, "jump too long in %s (%d instructions)", f->name, delta);
				return -1;
			}
			o->code = in->code;
			o->dst_reg = in->dst == IR_NOREG ? 0 : (uint8_t)in->dst;
			o->src_reg = in->src == IR_NOREG ? 0 : (uint8_t)in->src;
			o->off = (int16_t)delta;
			o->imm = (int32_t)in->imm;
			pos++;
			continue;
		}
		case IRK_CALL_HELPER:
			o->code = BPF_JMP | BPF_CALL;
			o->imm = (int32_t)in->imm;
			pos++;
			continue;
		case IRK_INSN:
			o->code = in->code;
			o->dst_reg = in->dst == IR_NOREG ? 0 : (uint8_t)in->dst;
			o->src_reg = in->src == IR_NOREG ? 0 : (uint8_t)in->src;
			o->off = in->off;
			o->imm = (int32_t)in->imm;
			pos++;
			continue;
		}
	}
	out->insns = insns;
	out->ninsns = pos;
	out->relocs = relocs;
	out->nrelocs = nrelocs;
	out->srcpos = srcpos;
	return 0;
}
