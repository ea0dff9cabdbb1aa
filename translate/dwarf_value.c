/* dwarf_value.c - from a located variable to what the script sees: the
 * member chain ($p->a->b, $arr[3], through pointers, into registers), the
 * final read by type (integers of every size and sign, bitfields, char *
 * and char arrays as strings, &$x), $return, and stap's printed forms:
 * $$vars/$$parms/$$locals ("a=0x1 b=0x2") and $x$/$x$$ ("{.a=1, .b="x"}").
 *
 * Requires: dwarf_loc.c's locations.  Provides: dw_target, dw_list_vars and
 * the LocAccess they build. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "translate/dwarf_int.h"

#define MAX_ITEMS 96     /* pieces of one printed string */
#define MAX_ARGS 32      /* stap prints at most 32 values in one $x$ */

/* One plain value (a long, or a string read as it is); anything else is a
 * string built from text and formatted values. */
bool loc_is_string(const LocAccess *loc)
{
	const LocItem *it = &loc->items[0];
	bool single = loc->nitems == 1 && it->ops && it->fmt == LOCF_VALUE && !it->text;
	return !single || it->is_string;
}

/* ------------------------------------------------------------ items */

typedef struct Items {
	LocItem v[MAX_ITEMS];
	int n;
	int nvalues;
	char *text;             /* pending literal text */
} Items;

static void add_text(DwCtx *c, Items *it, const char *t)
{
	it->text = arena_printf(c->s->arena, "%s%s", it->text ? it->text : "", t);
}

static void add_value(DwCtx *c, Items *it, const Ops *o, LocFmt fmt, bool is_string, int strmax)
{
	if (c->failed)
		return;
	if (it->n == MAX_ITEMS - 1) {
		dwl_fail(c, NULL, "cannot print '%s': too many parts", c->expr);
		return;
	}
	LocOp *ops = arena_alloc(c->s->arena, sizeof *ops * (size_t)(o->n + 1));
	memcpy(ops, o->v, sizeof *ops * (size_t)o->n);
	it->v[it->n++] = (LocItem){ .text = it->text, .ops = ops, .nops = o->n, .fmt = fmt,
	                            .is_string = is_string, .strmax = strmax };
	it->text = NULL;
	it->nvalues++;
}

/* ------------------------------------------------------------ reading */

static bool available(const Val *v)
{
	return v->where != V_PIECES || v->npieces > 0;
}

/* The integer value of v (size bytes of its type) left by out. */
static bool read_int(DwCtx *c, const Val *v, int size, bool sign, Ops *out)
{
	*out = v->ops;
	if (v->where == V_PIECES) {
		const Piece *p = &v->pieces[0];
		if (!v->npieces || p->where == P_NONE || p->size < size) {
			dwl_fail(c, NULL, "cannot read '%s': it is not available here (optimised out)", c->expr);
			return false;
		}
		Val one = { .where = p->where == P_MEM ? V_MEM : V_VAL, .ops = p->ops };
		return read_int(c, &one, size, sign, out);
	}
	if (v->bit_size || (v->where == V_VAL && v->bit_off)) {
		/* a bitfield, or a part of a register */
		int width = v->bit_size ? v->bit_size : size * 8;
		int need = (v->bit_off + width + 7) / 8;
		if (v->where == V_MEM)
			dwl_op(c, out, LOP_LOAD, need <= 1 ? 1 : need <= 2 ? 2 : need <= 4 ? 4 : 8);
		LocOp *b = dwl_op(c, out, LOP_BITS, v->bit_off);
		if (b) {
			b->width = width;
			b->sign = sign;
		}
		return !c->failed;
	}
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		dwl_fail(c, NULL, "cannot read '%s': a %d-byte value does not fit in a long", c->expr, size);
		return false;
	}
	if (v->where == V_MEM)
		dwl_op(c, out, LOP_LOAD, size);
	if (size < 8)
		dwl_op(c, out, sign ? LOP_SEXT : LOP_ZEXT, size);
	return !c->failed;
}

/* v is a pointer: follow it (v becomes the memory it points to). */
static bool deref(DwCtx *c, Val *v, const SrcLoc *loc)
{
	Ops o;
	if (!read_int(c, v, 8, false, &o))
		return false;
	Dwarf_Die p;
	dwl_peel(&v->type, &p);
	Val nv = { .where = V_MEM, .ops = o };
	nv.has_type = dwl_type_of(&p, &nv.type);
	if (!nv.has_type) {
		dwl_fail(c, loc, "cannot follow '%s': it is a void pointer", c->expr);
		return false;
	}
	*v = nv;
	return true;
}

/* Move v to the part [off, off + size) of itself (a member). */
static bool sub_value(DwCtx *c, Val *v, int64_t off, const SrcLoc *loc)
{
	if (v->where == V_MEM) {
		dwl_op(c, &v->ops, LOP_ADDI, off);
		return true;
	}
	if (v->where == V_VAL) {
		v->bit_off += (int)off * 8;
		return true;
	}
	int64_t start = 0;
	for (int i = 0; i < v->npieces; i++) {
		const Piece *p = &v->pieces[i];
		if (off >= start && off < start + p->size) {
			if (p->where == P_NONE)
				break;
			v->where = p->where == P_MEM ? V_MEM : V_VAL;
			v->ops = p->ops;
			v->npieces = 0;
			v->bit_off = 0;
			return sub_value(c, v, off - start, loc);
		}
		start += p->size;
	}
	dwl_fail(c, loc, "cannot read '%s': it is not available here (optimised out)", c->expr);
	return false;
}

/* Find member `name` of struct/union t, looking into anonymous members. */
static bool find_member(Dwarf_Die *t, const char *name, Dwarf_Die *m, int64_t *off)
{
	Dwarf_Die ch;
	if (dwarf_child(t, &ch) != 0)
		return false;
	do {
		if (dwarf_tag(&ch) != DW_TAG_member && dwarf_tag(&ch) != DW_TAG_inheritance)
			continue;
		Dwarf_Attribute a;
		Dwarf_Word o = 0;
		if (dwarf_attr_integrate(&ch, DW_AT_data_member_location, &a))
			dwarf_formudata(&a, &o);
		const char *nm = dwarf_diename(&ch);
		if (nm && !strcmp(nm, name)) {
			*m = ch;
			*off = (int64_t)o;
			return true;
		}
		Dwarf_Die mt;
		if (!nm && dwl_type_of(&ch, &mt) && dwl_peel(&mt, &mt) && find_member(&mt, name, m, off)) {
			*off += (int64_t)o;
			return true;
		}
	} while (dwarf_siblingof(&ch, &ch) == 0);
	return false;
}

/* Step into member m (at byte off) of v: bitfields keep their bit range. */
static bool enter_member(DwCtx *c, Val *v, Dwarf_Die *m, int64_t off, const SrcLoc *loc)
{
	Dwarf_Attribute a;
	Dwarf_Word bits = 0, bitoff = 0, bytesz = 0;
	if (!sub_value(c, v, off, loc))
		return false;
	v->has_type = dwl_type_of(m, &v->type);
	if (dwarf_attr_integrate(m, DW_AT_bit_size, &a) && dwarf_formudata(&a, &bits) == 0 && bits) {
		if (dwarf_attr_integrate(m, DW_AT_data_bit_offset, &a) && dwarf_formudata(&a, &bitoff) == 0) {
			/* DWARF 4: from the start of the struct, which `off` (0) was */
		} else if (dwarf_attr_integrate(m, DW_AT_bit_offset, &a) && dwarf_formudata(&a, &bitoff) == 0) {
			/* DWARF 2: from the most significant bit of the storage unit */
			int bs = dwarf_bytesize(m);
			bytesz = bs > 0 ? (Dwarf_Word)bs : (Dwarf_Word)dwl_size(&v->type);
			bitoff = bytesz * 8 - bitoff - bits;
		}
		if (v->where == V_MEM) {
			dwl_op(c, &v->ops, LOP_ADDI, (int64_t)(bitoff / 8));
			v->bit_off = (int)(bitoff % 8);
		} else {
			v->bit_off += (int)bitoff;
		}
		v->bit_size = (int)bits;
	}
	return !c->failed;
}

/* Array dimensions of t: counts[0..k) (-1 unknown). */
static int array_dims(Dwarf_Die *t, int64_t counts[8])
{
	Dwarf_Die ch;
	int k = 0;
	if (dwarf_child(t, &ch) != 0)
		return 0;
	do {
		if (dwarf_tag(&ch) != DW_TAG_subrange_type || k == 8)
			continue;
		Dwarf_Attribute a;
		Dwarf_Word w;
		counts[k] = -1;
		if (dwarf_attr_integrate(&ch, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0)
			counts[k] = (int64_t)w;
		else if (dwarf_attr_integrate(&ch, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &w) == 0)
			counts[k] = (int64_t)w + 1;
		k++;
	} while (dwarf_siblingof(&ch, &ch) == 0);
	return k;
}

static bool literal_index(const Node *ix, int64_t *i)
{
	if (ix && ix->kind == AST_NUM) {
		*i = ix->num;
		return true;
	}
	if (ix && ix->kind == AST_UNARY && ix->op == OP_NEG && ix->lhs->kind == AST_NUM) {
		*i = -ix->lhs->num;
		return true;
	}
	return false;
}

/* Walk the components of target expression n from v. */
static bool walk_chain(DwCtx *c, Val *v)
{
	int dim = 0; /* dimensions of a multi-dimensional array already indexed */
	for (int i = 0; i < c->n->ncomps && !c->failed; i++) {
		const TargetComp *tc = &c->n->comps[i];
		Dwarf_Die t;
		if (!v->has_type || !dwl_peel(&v->type, &t)) {
			dwl_fail(c, &tc->loc, "cannot use '%s': it has no type (void)", c->expr);
			return false;
		}
		int tag = dwarf_tag(&t);
		if (tc->kind == TC_FIELD) {
			if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
			    tag == DW_TAG_rvalue_reference_type) {
				if (!deref(c, v, &tc->loc) || !dwl_peel(&v->type, &t))
					return false;
				tag = dwarf_tag(&t);
			}
			Dwarf_Die m;
			int64_t off;
			if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type) {
				dwl_fail(c, &tc->loc, "invalid access '->%s' vs '%s': not a struct, union or pointer to one",
				         tc->name, dwl_type_name(c->s->arena, &v->type));
				return false;
			}
			if (!find_member(&t, tc->name, &m, &off)) {
				dwl_fail(c, &tc->loc, "unable to find member '%s' for '%s'", tc->name,
				         dwl_type_name(c->s->arena, &v->type));
				return false;
			}
			if (!enter_member(c, v, &m, off, &tc->loc))
				return false;
			continue;
		}
		int64_t ix;
		if (!literal_index(tc->index, &ix)) {
			dwl_fail(c, tc->index ? &tc->index->loc : &tc->loc,
			         "an index into a target variable must be a literal number (not supported yet)");
			return false;
		}
		if (tag == DW_TAG_pointer_type) {
			Dwarf_Die et;
			int64_t es;
			if (!dwl_type_of(&t, &et) || (es = dwl_size(&et)) <= 0) {
				dwl_fail(c, &tc->loc, "cannot index '%s': it points to something without a size", c->expr);
				return false;
			}
			if (!deref(c, v, &tc->loc))
				return false;
			dwl_op(c, &v->ops, LOP_ADDI, ix * es);
			continue;
		}
		if (tag != DW_TAG_array_type) {
			dwl_fail(c, &tc->loc, "cannot index '%s' of type '%s': not an array or pointer", c->expr,
			         dwl_type_name(c->s->arena, &v->type));
			return false;
		}
		int64_t counts[8], stride;
		int k = array_dims(&t, counts);
		Dwarf_Die et;
		if (!dwl_type_of(&t, &et) || (stride = dwl_size(&et)) <= 0) {
			dwl_fail(c, &tc->loc, "cannot index '%s': its elements have no size", c->expr);
			return false;
		}
		for (int d = dim + 1; d < k; d++)
			stride *= counts[d] > 0 ? counts[d] : 0;
		if (counts[dim] > 0 && (ix < 0 || ix >= counts[dim]))
			diag_at(DIAG_WARNING, NULL, tc->index ? &tc->index->loc : &tc->loc,
			        "index %lld is outside '%s' (%lld elements)", (long long)ix, c->expr,
			        (long long)counts[dim]);
		if (!sub_value(c, v, ix * stride, &tc->loc))
			return false;
		if (++dim >= k) {
			v->type = et;
			dim = 0;
		}
	}
	return !c->failed;
}

/* ------------------------------------------------------------ pretty printing */

static void pretty(DwCtx *c, Val v, bool top, bool full, Items *it);

static void pretty_base(DwCtx *c, const Val *v, Dwarf_Die *t, Items *it, bool bitfield)
{
	Ops o;
	/* an enum shows as its underlying type does (signed without one) */
	Dwarf_Die u = *t;
	int enc = DW_ATE_signed;
	Dwarf_Attribute a;
	Dwarf_Word e;
	if (dwarf_tag(t) == DW_TAG_enumeration_type && !(dwl_type_of(t, &u) && dwl_peel(&u, &u)))
		u = *t;
	if (dwarf_attr_integrate(&u, DW_AT_encoding, &a) && dwarf_formudata(&a, &e) == 0)
		enc = (int)e;
	if (dwl_is_float(t)) {
		add_text(c, it, "?");
		return;
	}
	bool sign = dwl_is_signed(t);
	if (!read_int(c, v, (int)dwl_size(t), sign, &o))
		return;
	if (!bitfield && (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char)) {
		add_text(c, it, "'");
		add_value(c, it, &o, LOCF_CHAR, false, 0);
		add_text(c, it, "'");
	} else {
		add_value(c, it, &o, enc == DW_ATE_unsigned || enc == DW_ATE_unsigned_char || enc == DW_ATE_boolean
		                         ? LOCF_UDEC : LOCF_DEC, false, 0);
	}
}

static void pretty_members(DwCtx *c, const Val *v, Dwarf_Die *t, bool full, Items *it, int *count)
{
	Dwarf_Die m;
	if (dwarf_child(t, &m) != 0)
		return;
	do {
		int tag = dwarf_tag(&m);
		if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&m, DW_AT_declaration))
			continue;
		Dwarf_Attribute a;
		Dwarf_Word off = 0;
		Dwarf_Die mt;
		if (dwarf_attr_integrate(&m, DW_AT_data_member_location, &a))
			dwarf_formudata(&a, &off);
		if (!dwl_type_of(&m, &mt))
			continue;
		const char *nm = dwarf_diename(&m);
		if (tag == DW_TAG_inheritance) {
			Val mv = *v;
			Dwarf_Die pt;
			if (sub_value(c, &mv, (int64_t)off, NULL) && dwl_peel(&mt, &pt))
				pretty_members(c, &mv, &pt, full, it, count);
			continue;
		}
		if (nm && !strncmp(nm, "_vptr.", 6))
			continue;
		if (++*count > 1)
			add_text(c, it, ", ");
		if (it->nvalues >= MAX_ARGS) {
			add_text(c, it, "...");
			return;
		}
		Dwarf_Die pt;
		dwl_peel(&mt, &pt);
		int mtag = dwarf_tag(&pt);
		add_text(c, it, nm ? arena_printf(c->s->arena, ".%s=", nm)
		                   : mtag == DW_TAG_union_type ? "<union>=" : "<class>=");
		Val mv = *v;
		if (!enter_member(c, &mv, &m, (int64_t)off, NULL))
			return;
		if (mv.bit_size)
			pretty_base(c, &mv, &pt, it, true);
		else
			pretty(c, mv, false, full, it);
	} while (dwarf_siblingof(&m, &m) == 0 && !c->failed);
}

/* stap's $x$ (top) and $x$$ (full): structs expanded one level (every
 * level for full), char pointers and arrays quoted, other pointers hex. */
static void pretty(DwCtx *c, Val v, bool top, bool full, Items *it)
{
	Dwarf_Die t;
	if (!available(&v)) {
		add_text(c, it, "?");
		return;
	}
	if (!v.has_type || !dwl_peel(&v.type, &t)) {
		add_text(c, it, "?");
		return;
	}
	Ops o;
	switch (dwarf_tag(&t)) {
	case DW_TAG_base_type: case DW_TAG_enumeration_type:
		pretty_base(c, &v, &t, it, false);
		return;
	case DW_TAG_pointer_type: case DW_TAG_reference_type: case DW_TAG_rvalue_reference_type: {
		Dwarf_Die pt;
		bool has = dwl_type_of(&t, &pt);
		if (has && dwl_is_char(&pt)) {
			if (read_int(c, &v, 8, false, &o))
				add_value(c, it, &o, LOCF_QUOTED, true, 0);
			return;
		}
		if (has && top) {
			Dwarf_Die pp;
			if (dwl_peel(&pt, &pp) && dwarf_tag(&pp) == DW_TAG_subroutine_type) {
				add_text(c, it, "<function>:");
			} else if (deref(c, &v, NULL)) {
				pretty(c, v, top, full, it);
				return;
			}
		}
		if (read_int(c, &v, 8, false, &o))
			add_value(c, it, &o, LOCF_HEX, false, 0);
		return;
	}
	case DW_TAG_array_type: {
		Dwarf_Die et;
		if (!top && !full) {
			add_text(c, it, "[...]");
			return;
		}
		if (!dwl_type_of(&t, &et) || v.where != V_MEM) {
			add_text(c, it, "?");
			return;
		}
		if (dwl_is_char(&et)) {
			add_value(c, it, &v.ops, LOCF_QUOTED, true, (int)dwl_size(&t));
			return;
		}
		add_text(c, it, "[");
		Val ev = v;
		ev.type = et;
		pretty(c, ev, false, full, it);
		add_text(c, it, ", ...]");
		return;
	}
	case DW_TAG_structure_type: case DW_TAG_union_type: case DW_TAG_class_type: {
		int count = 0;
		add_text(c, it, "{");
		if (dwarf_hasattr(&t, DW_AT_declaration))
			add_text(c, it, "...");
		else if (top || full)
			pretty_members(c, &v, &t, full, it, &count);
		else
			add_text(c, it, "...");
		add_text(c, it, "}");
		return;
	}
	default:
		add_text(c, it, "?");
		return;
	}
}

/* ------------------------------------------------------------ whole values */

/* The plain value of v: a long, or a string for char pointers and arrays. */
static void plain(DwCtx *c, Val *v, Items *it)
{
	Dwarf_Die t;
	Ops o;
	if (!available(v)) {
		dwl_fail(c, NULL, "cannot read '%s': it is not available here (optimised out)", c->expr);
		return;
	}
	if (!v->has_type || !dwl_peel(&v->type, &t)) {
		dwl_fail(c, NULL, "cannot read '%s': it has no type (void)", c->expr);
		return;
	}
	int tag = dwarf_tag(&t);
	if (tag == DW_TAG_reference_type || tag == DW_TAG_rvalue_reference_type) {
		if (!deref(c, v, NULL))
			return;
		plain(c, v, it);
		return;
	}
	Dwarf_Die et;
	if (tag == DW_TAG_pointer_type && dwl_type_of(&t, &et) && dwl_is_char(&et)) {
		if (read_int(c, v, 8, false, &o))
			add_value(c, it, &o, LOCF_VALUE, true, 0);
		return;
	}
	if (tag == DW_TAG_array_type) {
		if (v->where != V_MEM) {
			dwl_fail(c, NULL, "cannot read '%s': an array that is not in memory", c->expr);
			return;
		}
		bool chars = dwl_type_of(&t, &et) && dwl_is_char(&et);
		/* a char array is its text; another array is its address, as stap */
		add_value(c, it, &v->ops, LOCF_VALUE, chars, chars ? (int)dwl_size(&t) : 0);
		return;
	}
	if (dwl_is_float(&t)) {
		dwl_fail(c, NULL, "cannot read '%s': floating-point values are not supported", c->expr);
		return;
	}
	if (!dwl_is_scalar(&t)) {
		dwl_fail(c, NULL, "'%s' is a %s: use one of its members, or '%s$' to print it", c->expr,
		         dwl_type_name(c->s->arena, &v->type), c->expr);
		return;
	}
	if (read_int(c, v, (int)dwl_size(&t), dwl_is_signed(&t), &o))
		add_value(c, it, &o, LOCF_VALUE, false, 0);
}

/* $$vars, $$parms, $$locals, $$return (and their $ / $$ forms). */
static void var_list(DwCtx *c, const char *which, Items *it)
{
	int pretty_level = c->n->pretty;
	Dwarf_Die *vars = NULL;
	int nv = 0;
	Val rv;
	if (!strcmp(which, "return")) {
		if (!c->is_return) {
			dwl_fail(c, NULL, "'$$return' is only available in .return probes");
			return;
		}
		dwl_return_location(c, &rv);
		if (!rv.has_type)
			return; /* void: empty, as stap */
	} else if (c->is_return) {
		dwl_fail(c, NULL, "'$$%s' in a .return probe: values at the entry (@entry) are not supported yet", which);
		return;
	} else {
		nv = dwl_vars(c, strcmp(which, "locals") != 0, strcmp(which, "parms") != 0, &vars);
	}
	int count = strcmp(which, "return") ? nv : 1;
	for (int i = 0; i < count && !c->failed; i++) {
		Val v;
		const char *nm = "return";
		if (vars) {
			nm = dwarf_diename(&vars[i]);
			c->expr = arena_printf(c->s->arena, "$%s", nm);
			dwl_var_location(c, &vars[i], &v);
		} else {
			v = rv;
		}
		add_text(c, it, arena_printf(c->s->arena, "%s%s=", i ? " " : "", nm));
		if (pretty_level) {
			pretty(c, v, true, pretty_level == 2, it);
			continue;
		}
		Dwarf_Die t;
		Ops o;
		if (!available(&v) || !v.has_type || !dwl_peel(&v.type, &t)) {
			add_text(c, it, "?");
			continue;
		}
		if (!dwl_is_scalar(&t)) {
			add_text(c, it, dwarf_tag(&t) == DW_TAG_array_type ? "[...]" : dwl_is_float(&t) ? "?" : "{...}");
			continue;
		}
		if (read_int(c, &v, (int)dwl_size(&t), dwl_is_signed(&t), &o))
			add_value(c, it, &o, LOCF_HEX, false, 0);
	}
}

static const char *expr_text(Arena *a, const Node *n)
{
	const char *s = arena_printf(a, "%s$%s", n->addr_of ? "&" : "", n->name);
	for (int i = 0; i < n->ncomps; i++) {
		const TargetComp *tc = &n->comps[i];
		int64_t ix;
		if (tc->kind == TC_FIELD)
			s = arena_printf(a, "%s->%s", s, tc->name);
		else if (literal_index(tc->index, &ix))
			s = arena_printf(a, "%s[%lld]", s, (long long)ix);
		else
			s = arena_printf(a, "%s[...]", s);
	}
	return n->pretty ? arena_printf(a, "%s%s", s, n->pretty == 2 ? "$$" : "$") : s;
}

int dw_target(Session *s, DwFile *f, const DwSite *site, bool is_return, Node *n, Access *acc)
{
	DwCtx c = { .s = s, .f = f, .site = site, .is_return = is_return, .n = n,
	            .expr = expr_text(s->arena, n) };
	if (!f->dw || !site->die || !dwarf_offdie(f->dw, site->die, &c.func)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc,
		        f->kernel ? "cannot resolve '%s': no debug information for kernel function '%s'"
		                  : "cannot resolve '%s': no debug information for '%s' (build the program with -g)", c.expr,
		        site->func);
		return -1;
	}
	Items *it = arena_alloc(s->arena, sizeof *it);
	const char *name = n->name;
	if (name[0] == '$') {
		if (n->ncomps || n->addr_of || (strcmp(name + 1, "vars") && strcmp(name + 1, "parms") &&
		                                strcmp(name + 1, "locals") && strcmp(name + 1, "return"))) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "unknown target expression '%s'", c.expr);
			return -1;
		}
		var_list(&c, name + 1, it);
	} else {
		Val v;
		Dwarf_Die var;
		bool global;
		if (!strcmp(name, "return") && is_return) {
			dwl_return_location(&c, &v);
			if (!v.has_type && !c.failed)
				dwl_fail(&c, NULL, "'$return' of '%s': the function returns void", site->func);
		} else if (!strcmp(name, "return") && !dwl_find_var(&c, name, &var, &global)) {
			diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$return' is only available in .return probes");
			return -1;
		} else {
			if (!dwl_find_var(&c, name, &var, &global)) {
				const char *vars = dw_list_vars(s, f, site, is_return);
				diag_at(DIAG_ERROR, "semantic error", &n->loc,
				        "unresolved target-symbol expression '$%s' in function '%s'", name, site->func);
				diag_note(NULL, "the variables of this probe are: %s", *vars ? vars : "(none)");
				return -1;
			}
			if (is_return && !global) {
				/* its location at the entry says nothing about the return */
				diag_at(DIAG_ERROR, "semantic error", &n->loc,
				        "'$%s' in a .return probe: values at the entry (@entry) are not supported yet; "
				        "use $return, globals, or a probe on the function's entry", name);
				return -1;
			}
			dwl_var_location(&c, &var, &v);
		}
		if (!c.failed)
			walk_chain(&c, &v);
		if (c.failed) {
			/* reported */
		} else if (n->addr_of) {
			if (v.where != V_MEM || v.bit_size)
				dwl_fail(&c, NULL, "cannot take the address of '%s': it is not in memory here", c.expr);
			else
				add_value(&c, it, &v.ops, LOCF_VALUE, false, 0);
		} else if (n->pretty) {
			pretty(&c, v, true, n->pretty == 2, it);
		} else {
			plain(&c, &v, it);
		}
	}
	if (c.failed)
		return -1;
	if (it->text || it->n == 0) {
		it->v[it->n++] = (LocItem){ .text = it->text ? it->text : "" };
		it->text = NULL;
	}
	LocAccess *la = arena_alloc(s->arena, sizeof *la);
	la->items = arena_alloc(s->arena, sizeof *la->items * (size_t)it->n);
	memcpy((LocItem *)la->items, it->v, sizeof *la->items * (size_t)it->n);
	la->nitems = it->n;
	la->expr = c.expr;
	la->kernel = f->kernel;
	acc->kind = ACC_DWARF;
	acc->loc = la;
	acc->expr = c.expr;
	return 0;
}

/* ------------------------------------------------------------ -L */

const char *dw_list_vars(Session *s, DwFile *f, const DwSite *site, bool is_return)
{
	DwCtx c = { .s = s, .f = f, .site = site, .is_return = is_return };
	if (!site->die || !f->dw || !dwarf_offdie(f->dw, site->die, &c.func))
		return "";
	Dwarf_Die t;
	if (is_return)
		return dwl_type_of(&c.func, &t) ? arena_printf(s->arena, "$return:%s", dwl_type_name(s->arena, &t)) : "";
	Dwarf_Die *vars;
	int n = dwl_vars(&c, true, true, &vars);
	char *out = "";
	/* parameters are readable at the entry even when optimised out;
	 * stap leaves out other variables that have no location */
	for (int i = 0; i < n; i++)
		if (dwl_type_of(&vars[i], &t) &&
		    (dwarf_tag(&vars[i]) == DW_TAG_formal_parameter || dwl_has_location(&c, &vars[i])))
			out = arena_printf(s->arena, "%s%s$%s:%s", out, *out ? " " : "", dwarf_diename(&vars[i]),
			                   dwl_type_name(s->arena, &t));
	return out;
}
