/* test_kdwarf.c - the kernel DWARF resolver (kdwarf.c, dwarf.c's inlined
 * instances, dwarf_loc.c's locations) on fixtures/kfix.c, which mimics the
 * kernel's SYSCALL_DEFINE wrappers: __do_sys_kill is always inlined, and
 * -O2 gives its parameters location lists.  What the resolver says is
 * checked against libdw read directly here (the DIEs, dwarf_getscopes,
 * the location list entry covering each pc), never against addresses
 * written down.  run-tests builds the fixture and sets $FIXTURES. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "translate/sema.h"
#include "unit.h"

static Session S;

/* ---- what libdw says, read without the resolver */

typedef struct Inst {
	Dwarf_Off die;
	Dwarf_Addr entry;
} Inst;

static Inst insts[16];
static int ninsts;

static void walk(Dwarf_Die *die, const char *name)
{
	Dwarf_Die ch;
	if (dwarf_child(die, &ch) != 0)
		return;
	do {
		Dwarf_Attribute a;
		Dwarf_Die origin;
		if (dwarf_tag(&ch) == DW_TAG_inlined_subroutine && dwarf_attr(&ch, DW_AT_abstract_origin, &a) &&
		    dwarf_formref_die(&a, &origin) && dwarf_diename(&origin) &&
		    !strcmp(dwarf_diename(&origin), name) && ninsts < 16) {
			insts[ninsts].die = dwarf_dieoffset(&ch);
			CHECK(dwarf_entrypc(&ch, &insts[ninsts].entry) == 0);
			ninsts++;
		}
		walk(&ch, name);
	} while (dwarf_siblingof(&ch, &ch) == 0);
}

static void find_instances(Dwarf *dw, const char *name)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		if (dwarf_offdie(dw, off + hsize, &cu))
			walk(&cu, name);
		off = next;
	}
}

/* The concrete parameter `name` of function or instance `fn`. */
static bool param_of(Dwarf_Die *fn, const char *name, Dwarf_Die *out)
{
	Dwarf_Die ch;
	if (dwarf_child(fn, &ch) != 0)
		return false;
	do {
		if (dwarf_tag(&ch) == DW_TAG_formal_parameter && dwarf_diename(&ch) && !strcmp(dwarf_diename(&ch), name)) {
			*out = ch;
			return true;
		}
	} while (dwarf_siblingof(&ch, &ch) == 0);
	return false;
}

/* The register the location list entry of `param` covering pc names:
 * -1 when that entry is no single DW_OP_regN. */
static int listed_register(Dwarf_Die *param, Dwarf_Addr pc)
{
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t n;
	if (!dwarf_attr(param, DW_AT_location, &a))
		return -1;
	unsigned form = dwarf_whatform(&a);
	CHECK(form == DW_FORM_sec_offset || form == DW_FORM_loclistx); /* a list, not one expression */
	if (dwarf_getlocation_addr(&a, pc, &ops, &n, 1) != 1 || n != 1 || ops[0].atom < DW_OP_reg0 ||
	    ops[0].atom > DW_OP_reg31)
		return -1;
	return ops[0].atom - DW_OP_reg0;
}

static bool starts_a_range(Dwarf_Die *die, Dwarf_Addr pc)
{
	Dwarf_Addr base, start, end;
	ptrdiff_t off = 0;
	while ((off = dwarf_ranges(die, off, &base, &start, &end)) > 0)
		if (start == pc)
			return true;
	return false;
}

/* ---- what the resolver says */

static const LocAccess *resolve(DwFile *f, const DwSite *site, const char *var)
{
	SrcLoc none = { .file = -1 };
	Node *t = ast_new(S.arena, AST_TARGET, none);
	t->name = var;
	Access acc;
	memset(&acc, 0, sizeof acc);
	if (dw_target(&S, f, site, false, t, &acc) < 0 || acc.kind != ACC_DWARF)
		return NULL;
	return acc.loc;
}

/* Does the resolver read var at site from DWARF register regno? */
static bool reads_register(DwFile *f, const DwSite *site, const char *var, int regno)
{
	const LocAccess *la = resolve(f, site, var);
	return la && la->kernel && la->nitems == 1 && la->items[0].nops >= 1 && la->items[0].ops[0].op == LOP_REG &&
	       la->items[0].ops[0].n == dw_reg_offset(regno);
}

static void test_inlined(DwFile *f, Dwarf *dw)
{
	find_instances(dw, "__do_sys_kill");
	CHECK(ninsts >= 2); /* the fixture inlines it twice */
	DwSite *sites;
	int n = dw_inlined(f, "__do_sys_kill", NULL, 0, &sites);
	CHECK(n == ninsts);
	n = dw_inlined(f, "__do_sys_*", NULL, 0, &sites);
	CHECK(n == ninsts);
	for (int i = 0; i < n; i++) {
		const DwSite *site = &sites[i];
		CHECK_STR(site->func, "__do_sys_kill");
		CHECK(site->inlined && site->outer_die);
		int k = 0;
		while (k < ninsts && insts[k].die != site->die)
			k++;
		CHECK(k < ninsts);
		if (k == ninsts)
			continue;
		CHECK(site->addr == insts[k].entry);
		/* dwarf_getscopes at the entry pc finds the instance; the DIE's
		 * own scopes (dwarf_getscopes_die) have the concrete function
		 * the resolver names as its outer one, which holds the pc */
		Dwarf_Die die, cu, *scopes = NULL;
		CHECK(dwarf_offdie(dw, site->die, &die) && dwarf_diecu(&die, &cu, NULL, NULL));
		int ns = dwarf_getscopes(&cu, site->addr, &scopes);
		bool inside = false, outer = false;
		for (int j = 0; j < ns; j++)
			inside |= dwarf_dieoffset(&scopes[j]) == site->die;
		free(scopes);
		ns = dwarf_getscopes_die(&die, &scopes);
		for (int j = 0; j < ns; j++)
			outer |= dwarf_dieoffset(&scopes[j]) == site->outer_die && dwarf_tag(&scopes[j]) == DW_TAG_subprogram &&
			         dwarf_haspc(&scopes[j], site->addr) > 0;
		/* gcc may give an instance's entry pc an empty range of its own
		 * (its first instruction belongs to the caller's statement) */
		if (dwarf_haspc(&die, site->addr) > 0)
			CHECK(inside);
		else
			CHECK(starts_a_range(&die, site->addr));
		CHECK(outer);
		/* the kprobe goes on the symbol of that outer function */
		Dwarf_Die fn;
		Dwarf_Addr low;
		const char *sym;
		uint64_t off;
		CHECK(dwarf_offdie(dw, site->outer_die, &fn) && dwarf_lowpc(&fn, &low) == 0);
		CHECK(dw_symbol_at(f, site->addr, &sym, &off));
		CHECK_STR(sym, dwarf_diename(&fn));
		CHECK(off == site->addr - low && off > 0);
		free(scopes);
		/* $pid and $sig: the location list entries covering the entry pc */
		Dwarf_Die p;
		int rp = param_of(&die, "pid", &p) ? listed_register(&p, site->addr) : -1;
		int rs = param_of(&die, "sig", &p) ? listed_register(&p, site->addr) : -1;
		CHECK(rp >= 0 && rs >= 0 && rp != rs);
		CHECK(reads_register(f, site, "pid", rp));
		CHECK(reads_register(f, site, "sig", rs));
		CHECK(!reads_register(f, site, "pid", rs));
		/* the caller's variables are not the instance's */
		CHECK(resolve(f, site, "regs") == NULL);
		const char *vars = dw_list_vars(&S, f, site, false);
		CHECK_STR(vars, "$pid:pid_t $sig:int");
	}
}

static void test_functions(DwFile *f)
{
	/* an out-of-line function at its entry: the calling convention */
	DwSite *sites;
	int n = dw_functions(f, "__se_sys_kill", NULL, 0, S.arena, &sites);
	CHECK(n == 1 && sites[0].die && !sites[0].inlined);
	if (n == 1) {
		CHECK(reads_register(f, &sites[0], "pid", 5)); /* rdi */
		CHECK(reads_register(f, &sites[0], "sig", 4)); /* rsi */
	}
	n = dw_functions(f, "kfix_vfs_read", NULL, 0, S.arena, &sites);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(dw_list_vars(&S, f, &sites[0], false),
		          "$file:struct kfix_file* $buf:char* $count:size_t $pos:long int*");
		CHECK_STR(dw_list_vars(&S, f, &sites[0], true), "$return:long int");
	}
}

int main(void)
{
	session_init(&S);
	src_init(S.arena);
	diag_init(fopen("/dev/null", "w"));
	const char *dir = getenv("FIXTURES");
	if (!dir) {
		fprintf(stderr, "test_kdwarf: set FIXTURES to the directory fixtures/build.sh made\n");
		return 1;
	}
	const char *path = arena_printf(S.arena, "%s/kfix", dir);
	S.kernel_debuginfo = path;
	CHECK(kdw_check_option(&S) == 0);
	DwFile *f = kdw_get(&S);
	CHECK(f != NULL);
	CHECK(kdw_is_foreign(&S)); /* not the running kernel's build */
	int fd = open(path, O_RDONLY);
	Dwarf *dw = fd >= 0 ? dwarf_begin(fd, DWARF_C_READ) : NULL;
	CHECK(dw != NULL);
	if (f && dw) {
		test_inlined(f, dw);
		test_functions(f);
	}
	/* a missing file or one without DWARF is refused */
	Session bad;
	session_init(&bad);
	bad.kernel_debuginfo = "/nonexistent/vmlinux";
	CHECK(kdw_check_option(&bad) < 0);
	bad.kernel_debuginfo = "/bin/sh";
	CHECK(kdw_check_option(&bad) < 0);
	if (dw)
		dwarf_end(dw);
	session_fini(&S);
	return unit_done();
}
