/* target.c - reading target variables: the Access a provider resolved
 * ($field of a tracepoint record, ...) turned into loads. */
#include "codegen/lower.h"

int target_value(Lower *L, Node *n)
{
	const Access *acc = n->aux;
	IrFunc *f = L->f;
	int v = ir_vreg(f);
	switch (acc->kind) {
	case ACC_CTX_INT: {
		static const int sizes[9] = {0, BPF_B, BPF_H, 0, BPF_W, 0, 0, 0, BPF_DW};
		ir_emit_ldx(f, sizes[acc->size], v, L->ctx, (int16_t)acc->off);
		if (acc->is_signed && acc->size < 8) {
			ir_emit_alui(f, BPF_LSH, v, 64 - 8 * acc->size);
			ir_emit_alui(f, BPF_ARSH, v, 64 - 8 * acc->size);
		}
		return v;
	}
	case ACC_CTX_CHARS: {
		int off = scratch_alloc(L, L->cap);
		int buf = scratch_ptr(L, off);
		int src = ir_vreg(f);
		ir_emit_mov(f, src, L->ctx);
		ir_emit_alui(f, BPF_ADD, src, acc->off);
		int n_ = acc->size + 1 < L->cap ? acc->size + 1 : L->cap;
		copy_string(L, buf, 0, src, n_);
		return buf;
	}
	case ACC_CTX_DATA_LOC: {
		int off = scratch_alloc(L, L->cap);
		int buf = scratch_ptr(L, off);
		/* __data_loc: the low 16 bits are the offset from the record
		 * start, the high 16 the length */
		ir_emit_ldx(f, BPF_W, v, L->ctx, (int16_t)acc->off);
		ir_emit_alui(f, BPF_AND, v, 0xffff);
		int src = ir_vreg(f);
		ir_emit_mov(f, src, L->ctx);
		ir_emit_alu(f, BPF_ADD, src, v);
		copy_string(L, buf, 0, src, L->cap);
		return buf;
	}
	case ACC_DWARF:
		return target_dwarf_value(L, n);
	case ACC_KMEM_CHAIN:
		return target_kernel_value(L, n);
	}
	return v;
}

