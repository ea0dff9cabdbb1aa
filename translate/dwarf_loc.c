/* dwarf_loc.c - target variables of process probes: a name looked up in
 * the scopes at the probe address, its DWARF location (expression or
 * location list, frame base, CFA) turned into a location program, then the
 * member chain, indexes and the final read walked along its DWARF type.
 * Also $return, &$x, $$vars/$$parms/$$locals and the $x$ pretty forms.
 *
 * Function probes sit on the function's first instruction (a push that
 * uprobes emulate, instead of a single-stepped one after the prologue, as
 * stap does): there the parameters are where the x86-64 calling convention
 * put them, which DWARF describes only for optimised code (location lists).
 * So at a function entry a parameter is read through a location list entry
 * covering the entry, else through the ABI (psABI 3.2.3 classification).
 *
 * Requires: a DwSite from dwarf.c.  Provides: Access (ACC_DWARF) with a
 * LocAccess for codegen/target_dwarf.c. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "translate/dwarf_int.h"

/* x86-64 DWARF register numbers (psABI figure 3.36) to struct pt_regs
 * offsets: rax rdx rcx rbx rsi rdi rbp rsp r8-r15, then the return address. */
static const int regs_off[17] = {
	80, 96, 88, 40, 104, 112, 32, 152, 72, 64, 56, 48, 24, 16, 8, 0, 128,
};

int dw_reg_offset(int regno)
{
	return regno >= 0 && regno < 17 ? regs_off[regno] : -1;
}

enum { R_RAX = 0, R_RDX = 1, R_RSP = 7 };
static const int arg_regs[6] = { 5, 4, 1, 2, 8, 9 }; /* rdi rsi rdx rcx r8 r9 */

/* ------------------------------------------------------------ diagnostics, ops */

void dwl_fail(DwCtx *c, const SrcLoc *loc, const char *fmt, ...)
{
	if (c->failed)
		return;
	c->failed = true;
	va_list ap;
	va_start(ap, fmt);
	diag_vat(DIAG_ERROR, "semantic error", loc ? loc : &c->n->loc, fmt, ap);
	va_end(ap);
}

LocOp *dwl_op(DwCtx *c, Ops *o, LocOpKind k, int64_t n)
{
	static const signed char effect[LOP_PICK + 1] = {
		[LOP_REG] = 1, [LOP_CONST] = 1, [LOP_BIAS] = 1, [LOP_DUP] = 1, [LOP_PICK] = 1,
		[LOP_ADD] = -1, [LOP_SUB] = -1, [LOP_MUL] = -1, [LOP_DIV] = -1, [LOP_MOD] = -1,
		[LOP_AND] = -1, [LOP_OR] = -1, [LOP_XOR] = -1, [LOP_SHL] = -1, [LOP_SHR] = -1,
		[LOP_SHRA] = -1, [LOP_DROP] = -1,
	};
	static const signed char needs[LOP_PICK + 1] = {
		[LOP_ADDI] = 1, [LOP_LOAD] = 1, [LOP_SEXT] = 1, [LOP_ZEXT] = 1, [LOP_BITS] = 1,
		[LOP_NEG] = 1, [LOP_NOT] = 1, [LOP_DUP] = 1, [LOP_DROP] = 1,
		[LOP_ADD] = 2, [LOP_SUB] = 2, [LOP_MUL] = 2, [LOP_DIV] = 2, [LOP_MOD] = 2, [LOP_AND] = 2,
		[LOP_OR] = 2, [LOP_XOR] = 2, [LOP_SHL] = 2, [LOP_SHR] = 2, [LOP_SHRA] = 2, [LOP_SWAP] = 2,
		[LOP_ROT] = 3,
	};
	int need = k == LOP_PICK ? (int)n + 1 : needs[k];
	if (o->depth < need) {
		dwl_fail(c, NULL, "cannot read '%s': a malformed DWARF location", c->expr);
		return NULL;
	}
	if (o->n == DWL_MAX_OPS) {
		dwl_fail(c, NULL, "cannot read '%s': its location is too complex (more than %d steps)", c->expr,
		     DWL_MAX_OPS);
		return NULL;
	}
	if (k == LOP_ADDI && n == 0)
		return &o->v[o->n - 1]; /* nothing to add (the stack is not empty) */
	o->v[o->n] = (LocOp){ .op = k, .n = n };
	o->depth += effect[k];
	return &o->v[o->n++];
}

/* ------------------------------------------------------------ types */

/* The type of a DIE (false: void or none). */
bool dwl_type_of(Dwarf_Die *die, Dwarf_Die *t)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(die, DW_AT_type, &a) && dwarf_formref_die(&a, t);
}

/* Skip typedefs and qualifiers (false: void). */
bool dwl_peel(Dwarf_Die *t, Dwarf_Die *out)
{
	Dwarf_Die cur = *t;
	for (int i = 0; i < 64; i++) {
		int tag = dwarf_tag(&cur);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type) {
			*out = cur;
			return true;
		}
		if (!dwl_type_of(&cur, &cur))
			return false;
	}
	return false;
}

int64_t dwl_size(Dwarf_Die *t)
{
	Dwarf_Word sz;
	return dwarf_aggregate_size(t, &sz) == 0 ? (int64_t)sz : -1;
}

static int encoding(Dwarf_Die *t)
{
	Dwarf_Attribute a;
	Dwarf_Word e;
	if (!dwarf_attr_integrate(t, DW_AT_encoding, &a) || dwarf_formudata(&a, &e))
		return -1;
	return (int)e;
}

/* "char" or "unsigned char", which stap shows as text. */
bool dwl_is_char(Dwarf_Die *t)
{
	Dwarf_Die p;
	if (!dwl_peel(t, &p) || dwarf_tag(&p) != DW_TAG_base_type)
		return false;
	const char *nm = dwarf_diename(&p);
	return nm && (!strcmp(nm, "char") || !strcmp(nm, "unsigned char"));
}

bool dwl_is_signed(Dwarf_Die *t)
{
	int e = encoding(t);
	if (dwarf_tag(t) == DW_TAG_enumeration_type) {
		Dwarf_Die u;
		return dwl_type_of(t, &u) && dwl_peel(&u, &u) ? dwl_is_signed(&u) : false;
	}
	return e == DW_ATE_signed || e == DW_ATE_signed_char;
}

bool dwl_is_float(Dwarf_Die *t)
{
	int e = encoding(t);
	return dwarf_tag(t) == DW_TAG_base_type && (e == DW_ATE_float || e == DW_ATE_complex_float);
}

/* Integer-like: read into a long as it is. */
bool dwl_is_scalar(Dwarf_Die *t)
{
	int tag = dwarf_tag(t);
	return tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
	       tag == DW_TAG_rvalue_reference_type || tag == DW_TAG_enumeration_type ||
	       (tag == DW_TAG_base_type && !dwl_is_float(t));
}

static const char *params_text(Arena *a, Dwarf_Die *fn)
{
	const char *out = "";
	Dwarf_Die ch;
	if (dwarf_child(fn, &ch) != 0)
		return out;
	do {
		Dwarf_Die pt;
		if (dwarf_tag(&ch) == DW_TAG_formal_parameter)
			out = arena_printf(a, "%s%s%s", out, *out ? ", " : "",
			                   dwl_type_of(&ch, &pt) ? dwl_type_name(a, &pt) : "void");
		else if (dwarf_tag(&ch) == DW_TAG_unspecified_parameters)
			out = arena_printf(a, "%s%s...", out, *out ? ", " : "");
	} while (dwarf_siblingof(&ch, &ch) == 0);
	return out;
}

const char *dwl_type_name(Arena *a, Dwarf_Die *t)
{
	Dwarf_Die in;
	const char *nm = dwarf_diename(t);
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type: case DW_TAG_typedef: case DW_TAG_unspecified_type:
		return nm ? nm : "?";
	case DW_TAG_structure_type:
		return arena_printf(a, "struct %s", nm ? nm : "{...}");
	case DW_TAG_union_type:
		return arena_printf(a, "union %s", nm ? nm : "{...}");
	case DW_TAG_class_type:
		return arena_printf(a, "class %s", nm ? nm : "{...}");
	case DW_TAG_enumeration_type:
		return arena_printf(a, "enum %s", nm ? nm : "{...}");
	case DW_TAG_pointer_type: case DW_TAG_reference_type: case DW_TAG_rvalue_reference_type: {
		const char *star = dwarf_tag(t) == DW_TAG_pointer_type ? "*" : "&";
		if (!dwl_type_of(t, &in))
			return arena_printf(a, "void%s", star);
		if (dwarf_tag(&in) == DW_TAG_subroutine_type) {
			Dwarf_Die r;
			return arena_printf(a, "%s (%s) (%s)", dwl_type_of(&in, &r) ? dwl_type_name(a, &r) : "void", star,
			                    params_text(a, &in));
		}
		return arena_printf(a, "%s%s", dwl_type_name(a, &in), star);
	}
	case DW_TAG_const_type: case DW_TAG_volatile_type: case DW_TAG_restrict_type: case DW_TAG_atomic_type: {
		const char *q = dwarf_tag(t) == DW_TAG_const_type      ? "const"
		                : dwarf_tag(t) == DW_TAG_volatile_type ? "volatile"
		                : dwarf_tag(t) == DW_TAG_restrict_type ? "restrict"
		                                                       : "_Atomic";
		return arena_printf(a, "%s %s", dwl_type_of(t, &in) ? dwl_type_name(a, &in) : "void", q);
	}
	case DW_TAG_array_type:
		return arena_printf(a, "%s[]", dwl_type_of(t, &in) ? dwl_type_name(a, &in) : "void");
	case DW_TAG_subroutine_type:
		return arena_printf(a, "%s (%s)", dwl_type_of(t, &in) ? dwl_type_name(a, &in) : "void",
		                    params_text(a, t));
	default:
		return nm ? nm : "?";
	}
}

/* ------------------------------------------------------------ DWARF expressions */

/* At a function's first instruction, where the calling convention says
 * where parameters are (never true of an inlined instance: no call). */
static bool at_entry(const DwCtx *c)
{
	return !c->site->is_stmt && !c->site->inlined && !c->is_return && c->site->addr == c->site->func_addr;
}

static void reg(DwCtx *c, Ops *o, int regno, int64_t add)
{
	int off = dw_reg_offset(regno);
	if (off < 0) {
		dwl_fail(c, NULL, "cannot read '%s': it is in register %d, which probes cannot read "
		     "(floating-point and vector registers are not supported)", c->expr, regno);
		return;
	}
	dwl_op(c, o, LOP_REG, off);
	dwl_op(c, o, LOP_ADDI, add);
}

static void expr_ops(DwCtx *c, Dwarf_Attribute *attr, const Dwarf_Op *ops, size_t n, Val *v, int depth);

/* The location list entry (or the single expression) of attr at pc. */
static int location_at(Dwarf_Attribute *attr, uint64_t pc, Dwarf_Op **ops, size_t *n)
{
	return dwarf_getlocation_addr(attr, pc, ops, n, 1);
}

/* DW_OP_call_frame_cfa: the CFA from the CFI at the probe address. */
static void cfa(DwCtx *c, Ops *o, int depth)
{
	Dwarf_Frame *fr = NULL;
	Dwarf_Op *ops;
	size_t n;
	if (!c->f->cfi || dwarf_cfi_addrframe(c->f->cfi, c->site->addr, &fr) || dwarf_frame_cfa(fr, &ops, &n) ||
	    !n) {
		dwl_fail(c, NULL, "cannot read '%s': no call frame information at 0x%llx", c->expr,
		     (unsigned long long)c->site->addr);
		free(fr);
		return;
	}
	Val v = { .where = V_MEM, .ops = *o };
	expr_ops(c, NULL, ops, n, &v, depth + 1);
	*o = v.ops;
	free(fr);
}

/* DW_OP_fbreg: the frame base of the function at the probe address. */
static void frame_base(DwCtx *c, Ops *o, int depth)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	Dwarf_Die outer, *fn = &c->func;
	/* an inlined instance has the frame of the function it is inlined into */
	if (c->site->outer_die && dwarf_offdie(c->f->dw, c->site->outer_die, &outer))
		fn = &outer;
	if (!dwarf_attr_integrate(fn, DW_AT_frame_base, &a) || location_at(&a, c->site->addr, &ops, &n) <= 0) {
		dwl_fail(c, NULL, "cannot read '%s': no frame base at 0x%llx", c->expr, (unsigned long long)c->site->addr);
		return;
	}
	/* DW_OP_regN as a frame base means the register holds the address */
	Val v = { .where = V_MEM, .ops = *o };
	expr_ops(c, &a, ops, n, &v, depth + 1);
	*o = v.ops;
}

static void finish_piece(DwCtx *c, Val *v, bool regloc, bool stack_value, bool empty, int size)
{
	if (v->npieces == DWL_MAX_PIECES) {
		dwl_fail(c, NULL, "cannot read '%s': it is split in too many pieces", c->expr);
		return;
	}
	Piece *p = &v->pieces[v->npieces++];
	p->size = size;
	p->where = empty ? P_NONE : regloc || stack_value ? P_VAL : P_MEM;
	p->ops = v->ops;
	v->ops.n = v->ops.depth = 0;
}

/* Translate one DWARF expression into v (ops appended to v->ops). */
static void expr_ops(DwCtx *c, Dwarf_Attribute *attr, const Dwarf_Op *ops, size_t n, Val *v, int depth)
{
	Ops *o = &v->ops;
	bool regloc = false, stack_value = false;
	if (depth > 8) {
		dwl_fail(c, NULL, "cannot read '%s': its DWARF location nests too deeply", c->expr);
		return;
	}
	for (size_t i = 0; i < n && !c->failed; i++) {
		const Dwarf_Op *x = &ops[i];
		uint8_t a = x->atom;
		if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
			dwl_op(c, o, LOP_CONST, a - DW_OP_lit0);
		} else if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
			reg(c, o, a - DW_OP_reg0, 0);
			regloc = true;
		} else if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
			reg(c, o, a - DW_OP_breg0, (int64_t)x->number);
		} else {
			switch (a) {
			case DW_OP_addr:
				dwl_op(c, o, LOP_CONST, (int64_t)x->number + c->f->slide);
				if (c->f->pie) {
					/* the bias is the probed ip minus its link-time address:
					 * a return probe's ip is in the caller */
					if (c->is_return) {
						dwl_fail(c, NULL, "cannot read '%s' in a .return probe of a position-independent "
						     "binary: not supported yet", c->expr);
						return;
					}
					dwl_op(c, o, LOP_BIAS, (int64_t)c->site->addr);
					dwl_op(c, o, LOP_ADD, 0);
				}
				break;
			case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
			case DW_OP_constu: case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s:
			case DW_OP_const8s: case DW_OP_consts:
				dwl_op(c, o, LOP_CONST, (int64_t)x->number);
				break;
			case DW_OP_regx:
				reg(c, o, (int)x->number, 0);
				regloc = true;
				break;
			case DW_OP_bregx:
				reg(c, o, (int)x->number, (int64_t)x->number2);
				break;
			case DW_OP_fbreg:
				frame_base(c, o, depth);
				dwl_op(c, o, LOP_ADDI, (int64_t)x->number);
				break;
			case DW_OP_call_frame_cfa:
				cfa(c, o, depth);
				break;
			case DW_OP_plus_uconst:
				dwl_op(c, o, LOP_ADDI, (int64_t)x->number);
				break;
			case DW_OP_deref:
				dwl_op(c, o, LOP_LOAD, 8);
				break;
			case DW_OP_deref_size:
				if (x->number != 1 && x->number != 2 && x->number != 4 && x->number != 8) {
					dwl_fail(c, NULL, "cannot read '%s': a %u-byte DWARF dereference", c->expr,
					     (unsigned)x->number);
					return;
				}
				dwl_op(c, o, LOP_LOAD, (int64_t)x->number);
				break;
			case DW_OP_dup: dwl_op(c, o, LOP_DUP, 0); break;
			case DW_OP_drop: dwl_op(c, o, LOP_DROP, 0); break;
			case DW_OP_over: dwl_op(c, o, LOP_PICK, 1); break;
			case DW_OP_pick: dwl_op(c, o, LOP_PICK, (int64_t)x->number); break;
			case DW_OP_swap: dwl_op(c, o, LOP_SWAP, 0); break;
			case DW_OP_rot: dwl_op(c, o, LOP_ROT, 0); break;
			case DW_OP_plus: dwl_op(c, o, LOP_ADD, 0); break;
			case DW_OP_minus: dwl_op(c, o, LOP_SUB, 0); break;
			case DW_OP_mul: dwl_op(c, o, LOP_MUL, 0); break;
			case DW_OP_div: dwl_op(c, o, LOP_DIV, 0); break;
			case DW_OP_mod: dwl_op(c, o, LOP_MOD, 0); break;
			case DW_OP_and: dwl_op(c, o, LOP_AND, 0); break;
			case DW_OP_or: dwl_op(c, o, LOP_OR, 0); break;
			case DW_OP_xor: dwl_op(c, o, LOP_XOR, 0); break;
			case DW_OP_shl: dwl_op(c, o, LOP_SHL, 0); break;
			case DW_OP_shr: dwl_op(c, o, LOP_SHR, 0); break;
			case DW_OP_shra: dwl_op(c, o, LOP_SHRA, 0); break;
			case DW_OP_neg: dwl_op(c, o, LOP_NEG, 0); break;
			case DW_OP_not: dwl_op(c, o, LOP_NOT, 0); break;
			case DW_OP_nop: break;
			case DW_OP_stack_value:
				stack_value = true;
				break;
			case DW_OP_implicit_value: {
				Dwarf_Block b;
				if (!attr || dwarf_getlocation_implicit_value(attr, x, &b) || b.length > 8) {
					dwl_fail(c, NULL, "cannot read '%s': an implicit value of more than 8 bytes", c->expr);
					return;
				}
				uint64_t w = 0;
				for (size_t k = 0; k < b.length; k++)
					w |= (uint64_t)b.data[k] << (8 * k);
				dwl_op(c, o, LOP_CONST, (int64_t)w);
				stack_value = true;
				break;
			}
			case DW_OP_entry_value: case DW_OP_GNU_entry_value: {
				/* the value a register had at the entry: known at the entry */
				Dwarf_Attribute ea;
				Dwarf_Op *eops;
				size_t en;
				if (!attr || !at_entry(c) || dwarf_getlocation_attr(attr, x, &ea) ||
				    dwarf_getlocation(&ea, &eops, &en) || en != 1 || eops[0].atom < DW_OP_reg0 ||
				    eops[0].atom > DW_OP_reg31) {
					dwl_fail(c, NULL, "cannot read '%s' here: it is only known as its value at the function's "
					     "entry (try a probe on the function)", c->expr);
					return;
				}
				reg(c, o, eops[0].atom - DW_OP_reg0, 0);
				break;
			}
			case DW_OP_piece:
				finish_piece(c, v, regloc, stack_value, o->n == 0, (int)x->number);
				regloc = stack_value = false;
				break;
			case DW_OP_form_tls_address: case DW_OP_GNU_push_tls_address:
				dwl_fail(c, NULL, "cannot read '%s': thread-local variables are not supported yet", c->expr);
				return;
			default:
				dwl_fail(c, NULL, "cannot read '%s': DWARF operation 0x%x in its location is not supported",
				     c->expr, a);
				return;
			}
		}
	}
	if (v->npieces) {
		if (o->n)
			finish_piece(c, v, regloc, stack_value, false, 8);
		v->where = V_PIECES;
	} else if (regloc || stack_value) {
		v->where = V_VAL;
	} else if (depth == 0 && o->n == 0) {
		v->where = V_PIECES; /* an empty location: optimised out */
	}
}

/* ------------------------------------------------------------ the calling convention */

typedef enum { C_NONE, C_INT, C_SSE, C_MEM } Class;

/* Classify the eightbytes of an aggregate (psABI 3.2.3): fields merged into
 * cls[0..1]; false when something forces memory (unaligned, long double). */
static bool classify_fields(Dwarf_Die *t, int64_t base, Class cls[2])
{
	Dwarf_Die p;
	if (!dwl_peel(t, &p))
		return false;
	int tag = dwarf_tag(&p);
	if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_class_type) {
		Dwarf_Die m;
		if (dwarf_child(&p, &m) != 0)
			return true;
		do {
			Dwarf_Attribute a;
			Dwarf_Word off = 0;
			Dwarf_Die mt;
			if (dwarf_tag(&m) != DW_TAG_member || !dwl_type_of(&m, &mt))
				continue;
			if (dwarf_attr(&m, DW_AT_data_member_location, &a))
				dwarf_formudata(&a, &off);
			if (!classify_fields(&mt, base + (int64_t)off, cls))
				return false;
		} while (dwarf_siblingof(&m, &m) == 0);
		return true;
	}
	if (tag == DW_TAG_array_type) {
		Dwarf_Die et;
		int64_t total = dwl_size(&p), es;
		if (!dwl_type_of(&p, &et) || !dwl_peel(&et, &et) || (es = dwl_size(&et)) <= 0)
			return total == 0;
		for (int64_t off = 0; off < total; off += es)
			if (!classify_fields(&et, base + off, cls))
				return false;
		return true;
	}
	int64_t sz = dwl_size(&p);
	if (sz <= 0 || sz > 8 || base % sz || base >= 16)
		return false;
	Class k = dwl_is_float(&p) ? C_SSE : C_INT;
	Class *slot = &cls[base / 8];
	if (*slot == C_NONE || *slot == C_SSE)
		*slot = k == C_INT ? C_INT : C_SSE;
	return true;
}

/* The class of a value of type t and how many eightbytes it takes. */
static Class classify(Dwarf_Die *t, Class cls[2], int *n)
{
	Dwarf_Die p;
	cls[0] = cls[1] = C_NONE;
	*n = 1;
	if (!dwl_peel(t, &p))
		return C_NONE;
	int64_t sz = dwl_size(&p);
	int tag = dwarf_tag(&p);
	if (tag == DW_TAG_base_type && dwl_is_float(&p)) {
		if (sz > 8)
			return C_MEM; /* long double: x87, in memory */
		cls[0] = C_SSE;
		return C_SSE;
	}
	if (dwl_is_scalar(&p)) {
		*n = sz > 8 ? 2 : 1;
		cls[0] = cls[1] = C_INT;
		return C_INT;
	}
	if (sz <= 0 || sz > 16 || !classify_fields(&p, 0, cls))
		return C_MEM;
	*n = sz > 8 ? 2 : 1;
	return cls[0] == C_INT || cls[1] == C_INT ? C_INT : C_SSE;
}

/* Where parameter `param` of the function is at its first instruction. */
static void abi_param(DwCtx *c, Dwarf_Die *param, Val *v)
{
	int gpr = 0, sse = 0;
	int64_t stack = 8; /* past the return address */
	Dwarf_Die rt, ch;
	Class cls[2];
	int k;
	if (dwl_type_of(&c->func, &rt) && classify(&rt, cls, &k) == C_MEM)
		gpr = 1; /* rdi carries where the returned struct goes */
	if (dwarf_child(&c->func, &ch) != 0)
		return;
	do {
		Dwarf_Die t;
		if (dwarf_tag(&ch) != DW_TAG_formal_parameter || !dwl_type_of(&ch, &t))
			continue;
		bool mine = dwarf_dieoffset(&ch) == dwarf_dieoffset(param);
		Class cl = classify(&t, cls, &k);
		int ni = (cls[0] == C_INT) + (k > 1 && cls[1] == C_INT);
		int ns = (cls[0] == C_SSE) + (k > 1 && cls[1] == C_SSE);
		if (cl != C_MEM && gpr + ni <= 6 && sse + ns <= 8) {
			if (mine) {
				if (cl == C_SSE && k == 1) {
					dwl_fail(c, NULL, "cannot read '%s': floating-point values are not supported", c->expr);
					return;
				}
				if (k == 1 && cls[0] == C_INT) {
					v->where = V_VAL;
					reg(c, &v->ops, arg_regs[gpr], 0);
					return;
				}
				v->where = V_PIECES;
				v->npieces = k;
				for (int i = 0; i < k; i++) {
					v->pieces[i].size = 8;
					v->pieces[i].where = cls[i] == C_INT ? P_VAL : P_NONE;
					if (cls[i] == C_INT)
						reg(c, &v->pieces[i].ops, arg_regs[gpr++], 0);
				}
				return;
			}
			gpr += ni;
			sse += ns;
			continue;
		}
		int64_t sz = dwl_size(&t), align = sz >= 16 ? 16 : 8;
		stack = (stack + align - 1) / align * align;
		if (mine) {
			v->where = V_MEM;
			reg(c, &v->ops, R_RSP, stack);
			return;
		}
		stack += (sz + 7) / 8 * 8;
	} while (dwarf_siblingof(&ch, &ch) == 0);
}

/* ------------------------------------------------------------ variables */

static bool is_list_form(Dwarf_Attribute *a)
{
	unsigned form = dwarf_whatform(a);
	return form == DW_FORM_sec_offset || form == DW_FORM_loclistx || form == DW_FORM_data4 ||
	       form == DW_FORM_data8;
}

/* Locate variable die at the probe address into v (with its type). */
void dwl_var_location(DwCtx *c, Dwarf_Die *var, Val *v)
{
	memset(v, 0, sizeof *v);
	v->has_type = dwl_type_of(var, &v->type);
	Dwarf_Attribute a;
	bool is_param = dwarf_tag(var) == DW_TAG_formal_parameter;
	bool has_loc = dwarf_attr_integrate(var, DW_AT_location, &a) != NULL;
	if (is_param && at_entry(c)) {
		v->where = V_PIECES; /* unavailable unless found below */
		/* a location list entry covering the entry is exact; anything else
		 * (-O0's stack slot, filled by the prologue) is not yet true there */
		Dwarf_Op *ops;
		size_t n;
		if (has_loc && is_list_form(&a) && location_at(&a, c->site->addr, &ops, &n) > 0) {
			expr_ops(c, &a, ops, n, v, 0);
			return;
		}
		abi_param(c, var, v);
		return;
	}
	if (!has_loc) {
		Dwarf_Attribute cv;
		Dwarf_Word w;
		if (dwarf_attr_integrate(var, DW_AT_const_value, &cv) && dwarf_formudata(&cv, &w) == 0) {
			v->where = V_VAL;
			dwl_op(c, &v->ops, LOP_CONST, (int64_t)w);
			return;
		}
		v->where = V_PIECES; /* no pieces: optimised out */
		return;
	}
	Dwarf_Op *ops;
	size_t n;
	int r = location_at(&a, c->site->addr, &ops, &n);
	if (r <= 0) {
		v->where = V_PIECES;
		return;
	}
	v->where = V_MEM;
	expr_ops(c, &a, ops, n, v, 0);
}

/* The variable `name` visible at the site: a parameter or local of the
 * enclosing scopes (innermost first), or a global (of the CU, then of any
 * CU); *global says which. */
bool dwl_find_var(DwCtx *c, const char *name, Dwarf_Die *out, bool *global)
{
	Dwarf_Die *scopes = NULL;
	int ns = dwl_scopes(c->f, c->site, &c->func, &scopes);
	bool found = false;
	for (int i = 0; i < ns && !found; i++) {
		Dwarf_Die ch;
		if (dwarf_child(&scopes[i], &ch) != 0)
			continue;
		*global = dwarf_tag(&scopes[i]) == DW_TAG_compile_unit;
		do {
			int tag = dwarf_tag(&ch);
			const char *nm = dwarf_diename(&ch);
			/* an extern declaration: the definition is in some CU */
			if ((tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) && nm && !strcmp(nm, name) &&
			    !dwarf_hasattr(&ch, DW_AT_declaration)) {
				*out = ch;
				found = true;
				break;
			}
		} while (dwarf_siblingof(&ch, &ch) == 0);
	}
	free(scopes);
	if (found)
		return true;
	*global = true;
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(c->f->dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, ch;
		if (dwarf_offdie(c->f->dw, off + hsize, &cu) && dwarf_child(&cu, &ch) == 0)
			do {
				const char *nm = dwarf_diename(&ch);
				if (dwarf_tag(&ch) == DW_TAG_variable && nm && !strcmp(nm, name) &&
				    dwarf_hasattr(&ch, DW_AT_location)) {
					*out = ch;
					return true;
				}
			} while (dwarf_siblingof(&ch, &ch) == 0);
		off = next;
	}
	return false;
}


void dwl_return_location(DwCtx *c, Val *v)
{
	memset(v, 0, sizeof *v);
	v->has_type = dwl_type_of(&c->func, &v->type);
	if (!v->has_type)
		return;
	Class cls[2];
	int k;
	Class cl = classify(&v->type, cls, &k);
	if (cl == C_MEM) {
		/* rax returns the address of the caller's buffer */
		v->where = V_MEM;
		reg(c, &v->ops, R_RAX, 0);
		return;
	}
	if (k == 1 && cls[0] == C_INT) {
		v->where = V_VAL;
		reg(c, &v->ops, R_RAX, 0);
		return;
	}
	if (cl == C_SSE && k == 1) {
		dwl_fail(c, NULL, "cannot read '%s': floating-point values are not supported", c->expr);
		return;
	}
	/* a small struct: its integer eightbytes in rax then rdx */
	int next = R_RAX;
	v->where = V_PIECES;
	v->npieces = k;
	for (int i = 0; i < k; i++) {
		v->pieces[i].size = 8;
		v->pieces[i].where = cls[i] == C_INT ? P_VAL : P_NONE;
		if (cls[i] == C_INT) {
			reg(c, &v->pieces[i].ops, next, 0);
			next = R_RDX;
		}
	}
}

/* Where a variable is declared: its abstract origin's offset for a
 * variable of an inlined instance (gcc may list those in another order),
 * else its own. */
static Dwarf_Off decl_order(Dwarf_Die *var)
{
	Dwarf_Attribute a;
	Dwarf_Die origin;
	if (dwarf_attr(var, DW_AT_abstract_origin, &a) && dwarf_formref_die(&a, &origin))
		return dwarf_dieoffset(&origin);
	return dwarf_dieoffset(var);
}

/* Sort v[0..n) into declaration order (insertion sort: a handful). */
static void sort_decl_order(Dwarf_Die *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && decl_order(&v[j - 1]) > decl_order(&v[j]); j--) {
			Dwarf_Die t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

int dwl_vars(DwCtx *c, bool params, bool locals, Dwarf_Die **out)
{
	Dwarf_Die *scopes = NULL;
	int ns = dwl_scopes(c->f, c->site, &c->func, &scopes);
	Dwarf_Die *v = NULL;
	int n = 0, cap = 0;
	/* the function's own, then those of the blocks inside it */
	for (int i = ns - 1; i >= 0; i--) {
		int st = dwarf_tag(&scopes[i]);
		Dwarf_Die ch;
		if (st == DW_TAG_compile_unit || st == DW_TAG_partial_unit || dwarf_child(&scopes[i], &ch) != 0)
			continue;
		int first = n;
		do {
			int tag = dwarf_tag(&ch);
			if (!dwarf_diename(&ch) ||
			    (!(params && tag == DW_TAG_formal_parameter) && !(locals && tag == DW_TAG_variable)))
				continue;
			v = arena_grow(c->s->arena, v, &cap, n + 1, sizeof *v);
			v[n++] = ch;
		} while (dwarf_siblingof(&ch, &ch) == 0);
		if (st == DW_TAG_inlined_subroutine)
			sort_decl_order(v + first, n - first);
	}
	free(scopes);
	*out = v;
	return n;
}

bool dwl_has_location(DwCtx *c, Dwarf_Die *var)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	if (dwarf_attr_integrate(var, DW_AT_const_value, &a))
		return true;
	return dwarf_attr_integrate(var, DW_AT_location, &a) && location_at(&a, c->site->addr, &ops, &n) > 0;
}
