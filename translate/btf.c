/* btf.c - kernel types from BTF, the kernel's own type information
 * (/sys/kernel/btf/vmlinux, and /sys/kernel/btf/MOD split on it).  It
 * stands in for kernel headers and debuginfo: kernel.function parameters
 * come from FUNC -> FUNC_PROTO, members and arrays from STRUCT/UNION/ARRAY.
 *
 * Everything is loaded on first use and cached in the Session (s->btf);
 * libbpf owns the struct btf objects, btf_free() releases them.  Names of
 * vmlinux FUNCs are indexed once (sorted) since libbpf's lookup by name is
 * a linear scan over ~150k types. */
#include <bpf/btf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate/sema.h"

typedef struct BtfName {
	const char *name;
	int32_t id;
} BtfName;

typedef struct BtfMod {
	const char *name;
	struct btf *btf;          /* NULL: the module has no BTF */
	int err;
	struct BtfMod *next;
} BtfMod;

struct BtfCache {
	struct btf *vmlinux;
	bool tried;
	int err;                  /* errno of a failed vmlinux load */
	BtfName *funcs;           /* vmlinux FUNCs sorted by name */
	int nfuncs;
	BtfMod *mods;
};

/* ------------------------------------------------------------ loading */

static BtfCache *cache(Session *s)
{
	if (!s->btf)
		s->btf = arena_alloc(s->arena, sizeof *s->btf);
	return s->btf;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const BtfName *)a)->name, ((const BtfName *)b)->name);
}

static void index_funcs(Session *s, BtfCache *c)
{
	uint32_t n = btf__type_cnt(c->vmlinux);
	int cap = 0;
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(c->vmlinux, id);
		if (!btf_is_func(t))
			continue;
		c->funcs = arena_grow(s->arena, c->funcs, &cap, c->nfuncs + 1, sizeof *c->funcs);
		c->funcs[c->nfuncs++] = (BtfName){ btf__name_by_offset(c->vmlinux, t->name_off), (int32_t)id };
	}
	if (c->nfuncs)
		qsort(c->funcs, (size_t)c->nfuncs, sizeof *c->funcs, name_cmp);
}

const struct btf *btf_kernel(Session *s, const char *module)
{
	BtfCache *c = cache(s);
	if (!c->tried) {
		c->tried = true;
		c->vmlinux = btf__load_vmlinux_btf();
		if (!c->vmlinux)
			c->err = errno ? errno : ENOENT;
		else
			index_funcs(s, c);
	}
	if (!c->vmlinux) {
		errno = c->err;
		return NULL;
	}
	if (!module)
		return c->vmlinux;
	for (BtfMod *m = c->mods; m; m = m->next)
		if (!strcmp(m->name, module)) {
			errno = m->err;
			return m->btf;
		}
	BtfMod *m = arena_alloc(s->arena, sizeof *m);
	m->name = arena_strdup(s->arena, module);
	m->btf = btf__load_module_btf(module, c->vmlinux);
	m->err = m->btf ? 0 : (errno ? errno : ENOENT);
	m->next = c->mods;
	c->mods = m;
	errno = m->err;
	return m->btf;
}

void btf_free(Session *s)
{
	BtfCache *c = s->btf;
	if (!c)
		return;
	for (BtfMod *m = c->mods; m; m = m->next)
		btf__free(m->btf);
	btf__free(c->vmlinux);
	s->btf = NULL;
}

int32_t btf_find_func(Session *s, const char *module, const char *name, const struct btf **btfp)
{
	const struct btf *b = btf_kernel(s, module);
	*btfp = b;
	if (!b)
		return -1;
	if (!module) {
		BtfCache *c = s->btf;
		BtfName key = { name, 0 };
		BtfName *hit = c->nfuncs ? bsearch(&key, c->funcs, (size_t)c->nfuncs, sizeof *c->funcs, name_cmp) : NULL;
		return hit ? hit->id : -1;
	}
	int32_t id = btf__find_by_name_kind(b, name, BTF_KIND_FUNC);
	return id > 0 ? id : -1;
}

/* ------------------------------------------------------------ types */

int btf_func_proto(const struct btf *b, int32_t func, BtfParam *params, int max, int32_t *ret)
{
	const struct btf_type *t = btf__type_by_id(b, (uint32_t)func);
	if (!t || !btf_is_func(t))
		return -1;
	const struct btf_type *proto = btf__type_by_id(b, t->type);
	if (!proto || !btf_is_func_proto(proto))
		return -1;
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto);
	/* a trailing (void) entry marks varargs: not a parameter */
	if (n > 0 && p[n - 1].type == 0 && p[n - 1].name_off == 0)
		n--;
	for (int i = 0; i < n && i < max; i++)
		params[i] = (BtfParam){ btf__name_by_offset(b, p[i].name_off), (int32_t)p[i].type };
	*ret = (int32_t)proto->type;
	return n;
}

int32_t btf_skip_mods(const struct btf *b, int32_t id)
{
	for (int guard = 0; id > 0 && guard < 64; guard++) {
		const struct btf_type *t = btf__type_by_id(b, (uint32_t)id);
		if (!t || !(btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t)))
			break;
		id = (int32_t)t->type;
	}
	return id;
}

bool btf_scalar(const struct btf *b, int32_t id, int *size, bool *is_signed)
{
	id = btf_skip_mods(b, id);
	const struct btf_type *t = id > 0 ? btf__type_by_id(b, (uint32_t)id) : NULL;
	if (!t)
		return false;
	if (btf_is_ptr(t)) {
		*size = 8;
		*is_signed = false;
		return true;
	}
	if (btf_is_int(t)) {
		*size = (int)t->size;
		*is_signed = (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	}
	if (btf_is_any_enum(t)) {
		*size = (int)t->size;
		*is_signed = btf_kflag(t);
		return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
	}
	return false;
}

/* Member `name` of composite t, looking into anonymous members; bit_off
 * accumulates the offsets of the enclosing anonymous members. */
static bool find_member(const struct btf *b, const struct btf_type *t, const char *name, uint32_t base,
                        BtfMember *m, int depth)
{
	const struct btf_member *mem = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(b, mem[i].name_off);
		uint32_t off = base + btf_member_bit_offset(t, (uint32_t)i);
		if (mn && *mn) {
			if (strcmp(mn, name))
				continue;
			*m = (BtfMember){ (int32_t)mem[i].type, off, btf_member_bitfield_size(t, (uint32_t)i) };
			return true;
		}
		const struct btf_type *inner = btf__type_by_id(b, (uint32_t)btf_skip_mods(b, (int32_t)mem[i].type));
		if (inner && btf_is_composite(inner) && depth < 16 && find_member(b, inner, name, off, m, depth + 1))
			return true;
	}
	return false;
}

bool btf_find_member(const struct btf *b, int32_t id, const char *name, BtfMember *m)
{
	const struct btf_type *t = btf__type_by_id(b, (uint32_t)btf_skip_mods(b, id));
	return t && btf_is_composite(t) && find_member(b, t, name, 0, m, 0);
}

static const char *type_str(const struct btf *b, int32_t id, Arena *a, int depth)
{
	const struct btf_type *t = id > 0 ? btf__type_by_id(b, (uint32_t)id) : NULL;
	if (!t)
		return "void";
	if (depth > 16)
		return "...";
	const char *name = btf__name_by_offset(b, t->name_off);
	bool named = name && *name;
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		return arena_printf(a, "%s*", type_str(b, (int32_t)t->type, a, depth + 1));
	case BTF_KIND_CONST:
		return arena_printf(a, "%s const", type_str(b, (int32_t)t->type, a, depth + 1));
	case BTF_KIND_VOLATILE:
		return arena_printf(a, "%s volatile", type_str(b, (int32_t)t->type, a, depth + 1));
	case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
		return type_str(b, (int32_t)t->type, a, depth + 1);
	case BTF_KIND_ARRAY:
		return arena_printf(a, "%s[%u]", type_str(b, (int32_t)btf_array(t)->type, a, depth + 1),
		                    btf_array(t)->nelems);
	case BTF_KIND_STRUCT:
		return arena_printf(a, "struct %s", named ? name : "{...}");
	case BTF_KIND_UNION:
		return arena_printf(a, "union %s", named ? name : "{...}");
	case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
		return arena_printf(a, "enum %s", named ? name : "{...}");
	case BTF_KIND_FWD:
		return arena_printf(a, "%s %s", btf_kflag(t) ? "union" : "struct", name);
	case BTF_KIND_FUNC_PROTO:
		return "func";
	default:
		return named ? name : "?";
	}
}

const char *btf_type_str(const struct btf *b, int32_t id, Arena *a)
{
	return type_str(b, id, a, 0);
}

/* ------------------------------------------------------------ member chains */

/* The chain under construction: v is a value of type t, or (lvalue) the
 * address of an object of type t plus `pend` bytes not yet added. */
typedef struct Chain {
	const struct btf *b;
	Arena *a;
	AccStep *steps;
	int n, cap;
	int32_t t;
	bool lvalue;
	int64_t pend;
	uint32_t bit_shift, bit_size; /* the last member was a bitfield */
	const char *text;         /* "$x->a[2]" so far */
} Chain;

static void step(Chain *c, int64_t off, int size)
{
	c->steps = arena_grow(c->a, c->steps, &c->cap, c->n + 1, sizeof *c->steps);
	c->steps[c->n++] = (AccStep){ (int32_t)off, size };
}

/* An lvalue holding a pointer becomes the pointer's value. */
static void load_pointer(Chain *c)
{
	step(c, c->pend, 8);
	c->pend = 0;
	c->lvalue = false;
}

static const struct btf_type *resolved(const Chain *c, int32_t *id)
{
	*id = btf_skip_mods(c->b, c->t);
	return *id > 0 ? btf__type_by_id(c->b, (uint32_t)*id) : NULL;
}

static int chain_field(Chain *c, const TargetComp *tc)
{
	int32_t id;
	const struct btf_type *t = resolved(c, &id);
	if (t && btf_is_ptr(t)) {
		if (c->lvalue)
			load_pointer(c);
		/* v is now a pointer: the struct is at v */
		c->t = (int32_t)t->type;
		c->lvalue = true;
		c->pend = 0;
		t = resolved(c, &id);
	} else if (!c->lvalue) {
		diag_at(DIAG_ERROR, "semantic error", &tc->loc, "'%s' is a '%s', not a pointer: cannot use '->%s'",
		        c->text, btf_type_str(c->b, c->t, c->a), tc->name);
		return -1;
	}
	if (!t || !btf_is_composite(t)) {
		diag_at(DIAG_ERROR, "semantic error", &tc->loc, "'%s' is a '%s', not a struct or union: no member '%s'",
		        c->text, btf_type_str(c->b, c->t, c->a), tc->name);
		return -1;
	}
	BtfMember m;
	if (!btf_find_member(c->b, id, tc->name, &m)) {
		diag_at(DIAG_ERROR, "semantic error", &tc->loc, "unable to find member '%s' in '%s'", tc->name,
		        btf_type_str(c->b, id, c->a));
		return -1;
	}
	c->pend += m.bit_off / 8;
	c->t = m.type;
	/* a bitfield: the leaf reads the bytes around it */
	c->bit_shift = m.bit_size ? m.bit_off % 8 : 0;
	c->bit_size = m.bit_size;
	return 0;
}

static int chain_index(Chain *c, const TargetComp *tc)
{
	if (!tc->index || tc->index->kind != AST_NUM) {
		diag_at(DIAG_ERROR, "semantic error", tc->index ? &tc->index->loc : &tc->loc,
		        "the index of a kernel array must be a literal number here");
		return -1;
	}
	int64_t i = tc->index->num;
	int32_t id;
	const struct btf_type *t = resolved(c, &id);
	int32_t elem;
	if (t && btf_is_array(t) && c->lvalue) {
		const struct btf_array *arr = btf_array(t);
		if (arr->nelems && (i < 0 || i >= arr->nelems)) {
			diag_at(DIAG_ERROR, "semantic error", &tc->index->loc, "index %lld is out of bounds for '%s'",
			        (long long)i, btf_type_str(c->b, c->t, c->a));
			return -1;
		}
		elem = (int32_t)arr->type;
	} else if (t && btf_is_ptr(t)) {
		if (c->lvalue)
			load_pointer(c);
		elem = (int32_t)t->type;
		c->lvalue = true;
		c->pend = 0;
	} else {
		diag_at(DIAG_ERROR, "semantic error", &tc->loc, "'%s' is a '%s', not an array or pointer",
		        c->text, btf_type_str(c->b, c->t, c->a));
		return -1;
	}
	int64_t esz = btf__resolve_size(c->b, (uint32_t)elem);
	if (esz <= 0) {
		diag_at(DIAG_ERROR, "semantic error", &tc->loc, "cannot index '%s': its elements have no size",
		        c->text);
		return -1;
	}
	c->pend += i * esz;
	if (c->pend > INT32_MAX || c->pend < INT32_MIN) {
		diag_at(DIAG_ERROR, "semantic error", &tc->index->loc, "index %lld is too large", (long long)i);
		return -1;
	}
	c->t = elem;
	return 0;
}

/* The last component reached: what the chain yields. */
static int chain_leaf(Chain *c, const Node *n, Access *acc)
{
	if (n->addr_of) {
		step(c, c->pend, 0);
		acc->leaf = ACC_LEAF_ADDR;
		acc->size = 8;
		return 0;
	}
	int32_t id;
	const struct btf_type *t = resolved(c, &id);
	if (t && btf_is_array(t)) {
		const struct btf_type *e = btf__type_by_id(c->b, (uint32_t)btf_skip_mods(c->b, (int32_t)btf_array(t)->type));
		if (e && btf_is_int(e) && e->size == 1) {
			step(c, c->pend, 0);
			acc->leaf = ACC_LEAF_STRING;
			acc->size = (int)btf_array(t)->nelems;
			return 0;
		}
	}
	int size;
	bool sign;
	if (!btf_scalar(c->b, c->t, &size, &sign)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'%s' is a '%s': name one of its members or elements",
		        c->text, btf_type_str(c->b, c->t, c->a));
		return -1;
	}
	acc->leaf = ACC_LEAF_LONG;
	acc->size = size;
	acc->is_signed = sign;
	if (c->bit_size) {
		/* read the bytes holding the field; codegen shifts and masks */
		uint32_t bits = c->bit_shift + c->bit_size;
		int bytes = bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 32 ? 4 : 8;
		step(c, c->pend, bytes);
		acc->bit_shift = (int)c->bit_shift;
		acc->bit_size = (int)c->bit_size;
		return 0;
	}
	step(c, c->pend, size);
	return 0;
}

int btf_chain(Session *s, const struct btf *b, int32_t type, const Node *n, Access *acc)
{
	Chain c = { .b = b, .a = s->arena, .t = type, .text = arena_printf(s->arena, "$%s", n->name) };
	for (int i = 0; i < n->ncomps; i++) {
		const TargetComp *tc = &n->comps[i];
		if (c.bit_size) {
			diag_at(DIAG_ERROR, "semantic error", &tc->loc, "'%s' is a bitfield: it has no members",
			        c.text);
			return -1;
		}
		if ((tc->kind == TC_FIELD ? chain_field(&c, tc) : chain_index(&c, tc)) < 0)
			return -1;
		c.text = tc->kind == TC_FIELD ? arena_printf(s->arena, "%s->%s", c.text, tc->name)
		                              : arena_printf(s->arena, "%s[%lld]", c.text, (long long)tc->index->num);
	}
	if (n->ncomps == 0 || !c.lvalue) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot take the address of '%s': it is a value, not in memory", c.text);
		return -1;
	}
	acc->kind = ACC_KMEM_CHAIN;
	acc->expr = c.text;
	if (c.bit_size && n->addr_of) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "cannot take the address of bitfield '%s'", c.text);
		return -1;
	}
	if (chain_leaf(&c, n, acc) < 0)
		return -1;
	acc->steps = c.steps;
	acc->nsteps = c.n;
	acc->ctype = btf_type_str(b, c.t, s->arena);
	return 0;
}

int btf_ctx_value(Session *s, const struct btf *b, int32_t type, const Node *n, Access *acc)
{
	if (n->ncomps || n->addr_of) {
		acc->base = ACC_BASE_CTX;
		return btf_chain(s, b, type, n, acc);
	}
	int size;
	bool sign;
	if (!btf_scalar(b, type, &size, &sign)) {
		diag_at(DIAG_ERROR, "semantic error", &n->loc, "'$%s' is a '%s' passed by value: not supported", n->name,
		        btf_type_str(b, type, s->arena));
		return -1;
	}
	/* the low bytes, as the ABI passes narrower types */
	acc->kind = ACC_CTX_INT;
	acc->size = size;
	acc->is_signed = sign;
	acc->ctype = btf_type_str(b, type, s->arena);
	return 0;
}
