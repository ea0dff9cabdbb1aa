/* target_kernel.c - target variables that live in kernel memory: the
 * ACC_KMEM_CHAIN accesses btf.c builds ($file->f_path->dentry, &$x->a,
 * $task->comm).
 *
 * v starts as the base (a u64 of the context, e.g. a pt_regs slot, or the
 * current task); each step adds an offset or replaces v by bytes read with
 * bpf_probe_read_kernel into an 8-byte stack slot.  A read that faults
 * ends the handler with stap's "kernel read fault" error.  The leaf is a
 * long (sign-extended, or a bitfield shifted and masked), a string copied
 * from a char array, or the address itself. */
#include "codegen/lower.h"

/* v = the `size` bytes at v + off, or the run-time error. */
static void read_kernel(Lower *L, const Access *acc, int v, int slot, const AccStep *st, const Node *n)
{
	static const int sizes[9] = {0, BPF_B, BPF_H, 0, BPF_W, 0, 0, 0, BPF_DW};
	IrFunc *f = L->f;
	ir_emit_mov(f, 1, IR_FP);
	ir_emit_alui(f, BPF_ADD, 1, slot);
	ir_emit_movi(f, 2, st->size);
	ir_emit_mov(f, 3, v);
	if (st->off)
		ir_emit_alui(f, BPF_ADD, 3, st->off);
	int rc = ir_emit_call_result(f, BPF_FUNC_probe_read_kernel, 3);
	int ok = ir_label(f);
	ir_emit_jmpi(f, BPF_JEQ, rc, 0, ok);
	emit_error(L, "kernel read fault", arena_printf(L->a, "identifier '%s'", acc->expr), &n->loc);
	ir_emit_label(f, ok);
	ir_emit_ldx(f, sizes[st->size], v, IR_FP, (int16_t)slot);
}

/* Make the long leaf v its C type's value: a bitfield's bits, or the
 * sign of a narrower signed type. */
static void fix_long(IrFunc *f, const Access *acc, int v)
{
	if (acc->bit_size) {
		/* move the field to the top, then back down with its sign */
		ir_emit_alui(f, BPF_LSH, v, 64 - acc->bit_shift - acc->bit_size);
		ir_emit_alui(f, acc->is_signed ? BPF_ARSH : BPF_RSH, v, 64 - acc->bit_size);
	} else if (acc->is_signed && acc->size < 8) {
		ir_emit_alui(f, BPF_LSH, v, 64 - 8 * acc->size);
		ir_emit_alui(f, BPF_ARSH, v, 64 - 8 * acc->size);
	}
}

int target_kernel_value(Lower *L, Node *n)
{
	const Access *acc = n->aux;
	IrFunc *f = L->f;
	int v = ir_vreg(f);
	if (acc->base == ACC_BASE_CURRENT_TASK) {
		ir_emit_call(f, BPF_FUNC_get_current_task, 0);
		ir_emit_mov(f, v, 0);
	} else {
		ir_emit_ldx(f, BPF_DW, v, L->ctx, (int16_t)acc->off);
	}
	int slot = 0;
	for (int i = 0; i < acc->nsteps; i++) {
		const AccStep *st = &acc->steps[i];
		if (!st->size) {
			if (st->off)
				ir_emit_alui(f, BPF_ADD, v, st->off);
			continue;
		}
		if (!slot && !(slot = ir_stack_alloc(f, 8))) {
			lower_fail(L, &n->loc, "no stack left for reading kernel memory (limit 512 bytes)");
			return v;
		}
		read_kernel(L, acc, v, slot, st, n);
	}
	switch (acc->leaf) {
	case ACC_LEAF_LONG:
		fix_long(f, acc, v);
		return v;
	case ACC_LEAF_STRING: {
		/* at most the array, and a NUL when it is full */
		int cap = acc->size + 1 < L->cap ? acc->size + 1 : L->cap;
		int buf = scratch_ptr(L, scratch_alloc(L, L->cap));
		copy_string(L, buf, 0, v, cap);
		return buf;
	}
	case ACC_LEAF_ADDR:
		return v;
	}
	return v;
}
