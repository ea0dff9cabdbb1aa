/* test_btf.c - translate/btf.c against the running kernel's BTF: function
 * prototypes, members inside anonymous unions, type spellings, and the
 * member chains (ACC_KMEM_CHAIN) that kernel.function probes read.  The
 * kernel structs used (file, path, dentry, qstr, task_struct) have kept
 * these members for many releases.  Without /sys/kernel/btf/vmlinux
 * there is nothing to test. */
#include <bpf/btf.h>
#include <unistd.h>

#include "translate/sema.h"
#include "unit.h"

static Session S;

/* $NAME->a->b... (fields only) as the parser would build it */
static Node *target(const char *name, const char *const *fields, int n, bool addr_of)
{
	SrcLoc none = { .file = -1 };
	Node *t = ast_new(S.arena, AST_TARGET, none);
	t->name = name;
	t->addr_of = addr_of;
	t->comps = arena_alloc(S.arena, sizeof *t->comps * (size_t)(n + 1));
	for (int i = 0; i < n; i++)
		t->comps[i] = (TargetComp){ .kind = TC_FIELD, .name = fields[i], .loc = none };
	t->ncomps = n;
	return t;
}

static int32_t ptr_to(const struct btf *b, const char *strct)
{
	int32_t id = btf__find_by_name_kind(b, strct, BTF_KIND_STRUCT);
	for (uint32_t i = 1; id > 0 && i < btf__type_cnt(b); i++) {
		const struct btf_type *t = btf__type_by_id(b, i);
		if (btf_is_ptr(t) && (int32_t)t->type == id)
			return (int32_t)i;
	}
	return -1;
}

static void test_proto(const struct btf *b)
{
	const struct btf *fb;
	int32_t f = btf_find_func(&S, NULL, "vfs_read", &fb);
	CHECK(f > 0 && fb == b);
	CHECK(btf_find_func(&S, NULL, "no_such_function_anywhere", &fb) == -1);
	BtfParam p[8];
	int32_t ret = 0;
	CHECK(btf_func_proto(b, f, p, 8, &ret) == 4);
	CHECK_STR(p[0].name, "file");
	CHECK_STR(btf_type_str(b, p[0].type, S.arena), "struct file*");
	CHECK_STR(p[1].name, "buf");
	CHECK_STR(btf_type_str(b, p[1].type, S.arena), "char*");
	CHECK_STR(p[3].name, "pos");
	CHECK_STR(btf_type_str(b, p[3].type, S.arena), "loff_t*");
	int size = 0;
	bool sign = true;
	CHECK(btf_scalar(b, p[2].type, &size, &sign) && size == 8 && !sign); /* size_t */
	CHECK(btf_scalar(b, ret, &size, &sign) && size == 8 && sign);       /* ssize_t */
	CHECK(!btf_scalar(b, btf__find_by_name_kind(b, "file", BTF_KIND_STRUCT), &size, &sign));
}

static void test_members(const struct btf *b)
{
	/* struct qstr { union { struct { u32 hash; u32 len; }; u64 hash_len; }; const unsigned char *name; } */
	int32_t q = btf__find_by_name_kind(b, "qstr", BTF_KIND_STRUCT);
	BtfMember m;
	CHECK(q > 0 && btf_find_member(b, q, "len", &m) && m.bit_off == 32 && m.bit_size == 0);
	CHECK(btf_find_member(b, q, "name", &m) && m.bit_off == 64);
	CHECK(!btf_find_member(b, q, "nosuch", &m));
}

static void test_chains(const struct btf *b)
{
	int32_t file = ptr_to(b, "file"), task = ptr_to(b, "task_struct");
	CHECK(file > 0 && task > 0);

	/* $file->f_path->dentry->d_name->len: one pointer load, then the u32 */
	const char *const len[] = {"f_path", "dentry", "d_name", "len"};
	Access acc = {0};
	CHECK(btf_chain(&S, b, file, target("file", len, 4, false), &acc) == 0);
	CHECK(acc.kind == ACC_KMEM_CHAIN && acc.leaf == ACC_LEAF_LONG && acc.size == 4 && !acc.is_signed);
	CHECK(acc.nsteps == 2 && acc.steps[0].size == 8 && acc.steps[1].size == 4);
	CHECK_STR(acc.expr, "$file->f_path->dentry->d_name->len");
	CHECK(access_type(&acc) == TY_LONG);

	/* $task->comm: a char array is a string */
	const char *const comm[] = {"comm"};
	memset(&acc, 0, sizeof acc);
	CHECK(btf_chain(&S, b, task, target("task", comm, 1, false), &acc) == 0);
	CHECK(acc.leaf == ACC_LEAF_STRING && acc.size == 16 && access_type(&acc) == TY_STRING);
	CHECK(acc.nsteps == 1 && acc.steps[0].size == 0);

	/* &$file->f_pos: the address, nothing read */
	const char *const pos[] = {"f_pos"};
	memset(&acc, 0, sizeof acc);
	CHECK(btf_chain(&S, b, file, target("file", pos, 1, true), &acc) == 0);
	CHECK(acc.leaf == ACC_LEAF_ADDR && acc.nsteps == 1 && acc.steps[0].size == 0 && acc.steps[0].off > 0);

	/* errors: no such member, a member of a number, a struct as a value */
	const char *const bad1[] = {"no_such_member"};
	const char *const bad2[] = {"f_pos", "x"};
	const char *const bad3[] = {"f_path"};
	memset(&acc, 0, sizeof acc);
	CHECK(btf_chain(&S, b, file, target("file", bad1, 1, false), &acc) < 0);
	CHECK(btf_chain(&S, b, file, target("file", bad2, 2, false), &acc) < 0);
	CHECK(btf_chain(&S, b, file, target("file", bad3, 1, false), &acc) < 0);
}

int main(void)
{
	session_init(&S);
	src_init(S.arena);
	diag_init(fopen("/dev/null", "w"));
	const struct btf *b = access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? btf_kernel(&S, NULL) : NULL;
	if (b) {
		CHECK(btf_kernel(&S, NULL) == b); /* cached */
		test_proto(b);
		test_members(b);
		test_chains(b);
	}
	btf_free(&S);
	session_fini(&S);
	return unit_done();
}
