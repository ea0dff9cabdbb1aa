/* prune.c - drop IR the kernel would refuse or that costs for nothing.
 *
 * Requires: lowered IR (labels not yet resolved).  Provides: the same IR
 * with instructions no path reaches removed (the verifier rejects
 * "unreachable insn"; inlined returns and break leave such tails), and
 * with jumps to the very next instruction removed.  Repeats until stable,
 * as removing a jump can make more code unreachable. */
#include <stdlib.h>
#include <string.h>

#include "codegen/ir.h"

static bool ends_flow(const IrInsn *in)
{
	if (in->kind == IRK_JUMP && BPF_OP(in->code) == BPF_JA)
		return true;
	return in->kind == IRK_INSN && in->code == (BPF_JMP | BPF_EXIT);
}

static bool prune_once(IrFunc *f)
{
	int n = f->n;
	int *label_at = malloc(sizeof(int) * (size_t)(f->nlabels + 1));
	char *reach = calloc((size_t)n + 1, 1);
	int *stack = malloc(sizeof(int) * (size_t)(n + 1));
	for (int i = 0; i < f->nlabels; i++)
		label_at[i] = -1;
	for (int i = 0; i < n; i++)
		if (f->v[i].kind == IRK_LABEL)
			label_at[f->v[i].label] = i;
	int sp = 0;
	if (n)
		stack[sp++] = 0;
	while (sp) {
		int i = stack[--sp];
		while (i < n && !reach[i]) {
			reach[i] = 1;
			const IrInsn *in = &f->v[i];
			if (in->kind == IRK_JUMP && label_at[in->label] >= 0 && !reach[label_at[in->label]])
				stack[sp++] = label_at[in->label];
			if (ends_flow(in))
				break;
			i++;
		}
	}
	bool changed = false;
	int j = 0;
	for (int i = 0; i < n; i++) {
		IrInsn *in = &f->v[i];
		if (!reach[i] && in->kind != IRK_LABEL) {
			changed = true;
			continue;
		}
		/* "goto L" when only labels stand between it and L */
		if (in->kind == IRK_JUMP && BPF_OP(in->code) == BPF_JA) {
			int k = i + 1;
			bool next = false;
			for (; k < n && f->v[k].kind == IRK_LABEL; k++)
				if (f->v[k].label == in->label)
					next = true;
			if (next) {
				changed = true;
				continue;
			}
		}
		f->v[j++] = *in;
	}
	f->n = j;
	free(label_at);
	free(reach);
	free(stack);
	return changed;
}

void ir_prune(IrFunc *f)
{
	while (prune_once(f))
		;
}
