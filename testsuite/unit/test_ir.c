/* test_ir.c - the back end on hand-built IR: register allocation (with
 * values live across helper calls and more values than registers), label
 * resolution, and embedded assembly.  As root, the allocated code is loaded
 * into the kernel and run, so the verifier and the result both judge it. */
#include <bpf/bpf.h>
#include <stdlib.h>
#include <unistd.h>

#include "codegen/ir.h"
#include "unit.h"

static Arena *A;

/* Allocate, emit and (as root) run f as a raw tracepoint program; returns
 * its r0, or -1 when it could not run. */
static long long run_prog(IrFunc *f, bool *ran)
{
	*ran = false;
	if (ra_allocate(f, NULL) < 0)
		return -1;
	ElfProg p = {0};
	if (bpf_emit(f, &p, A, NULL) < 0)
		return -1;
	if (geteuid() != 0)
		return -1;
	char log[8192] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = sizeof log, .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "t", "GPL", p.insns, (size_t)p.ninsns, &lo);
	if (fd < 0) {
		fprintf(stderr, "load failed:\n%s\n", log);
		ir_dump(stderr, f);
		return -1;
	}
	LIBBPF_OPTS(bpf_test_run_opts, to);
	int err = bpf_prog_test_run_opts(fd, &to);
	close(fd);
	if (err)
		return -1;
	*ran = true;
	return (long long)(int32_t)to.retval;
}

static void test_values_across_calls(void)
{
	IrFunc *f = ir_func_new(A, "across");
	int a = ir_vreg(f), b = ir_vreg(f);
	ir_emit_movi(f, a, 40);
	ir_emit_movi(f, b, 2);
	ir_emit_call(f, BPF_FUNC_ktime_get_ns, 0);
	ir_emit_alu(f, BPF_ADD, a, b);
	ir_emit_mov(f, 0, a);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	/* a and b live across the call: they must sit in r6..r9 */
	for (int i = 0; i < f->n; i++)
		CHECK(f->v[i].dst < IR_VREG0 && f->v[i].src < IR_VREG0);
	if (geteuid() == 0) {
		CHECK(ran);
		CHECK(r == 42);
	}
}

static void test_spills(void)
{
	/* 14 values live across a call: r6..r9 hold 4, the rest spill */
	IrFunc *f = ir_func_new(A, "spill");
	int v[14];
	for (int i = 0; i < 14; i++) {
		v[i] = ir_vreg(f);
		ir_emit_movi(f, v[i], i + 1);
	}
	ir_emit_call(f, BPF_FUNC_ktime_get_ns, 0);
	int sum = ir_vreg(f);
	ir_emit_movi(f, sum, 0);
	for (int i = 0; i < 14; i++)
		ir_emit_alu(f, BPF_ADD, sum, v[i]);
	ir_emit_mov(f, 0, sum);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	CHECK(f->stack > 0);
	if (geteuid() == 0) {
		CHECK(ran);
		CHECK(r == 105);
	}
}

static void test_loop_and_labels(void)
{
	/* sum 1..10 with a backward and a forward jump */
	IrFunc *f = ir_func_new(A, "loop");
	int i = ir_vreg(f), s = ir_vreg(f);
	int top = ir_label(f), out = ir_label(f);
	ir_emit_movi(f, i, 1);
	ir_emit_movi(f, s, 0);
	ir_emit_label(f, top);
	ir_emit_jmpi(f, BPF_JSGT, i, 10, out);
	ir_emit_alu(f, BPF_ADD, s, i);
	ir_emit_alui(f, BPF_ADD, i, 1);
	ir_emit_ja(f, top);
	ir_emit_label(f, out);
	ir_emit_mov(f, 0, s);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	if (geteuid() == 0) {
		CHECK(ran);
		CHECK(r == 55);
	}
}

static void test_big_constant(void)
{
	IrFunc *f = ir_func_new(A, "imm64");
	int v = ir_vreg(f);
	ir_emit_movi(f, v, 0x123456789abcLL);
	ir_emit_alui(f, BPF_RSH, v, 32);
	ir_emit_mov(f, 0, v);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	if (geteuid() == 0) {
		CHECK(ran);
		CHECK(r == 0x1234);
	}
}

static void test_asm(void)
{
	CHECK(asm_helper_id("get_current_pid_tgid") == BPF_FUNC_get_current_pid_tgid);
	CHECK(asm_helper_id("bpf_ktime_get_ns") == BPF_FUNC_ktime_get_ns);
	CHECK(asm_helper_id("no_such_helper") == -1);

	IrFunc *f = ir_func_new(A, "asm");
	int x = ir_vreg(f), res = ir_vreg(f);
	ir_emit_movi(f, x, 5);
	const char *names[] = {"x"};
	int vregs[] = {x};
	AsmEnv env = { .f = f, .names = names, .vregs = vregs, .n = 1, .result = res, .maxstringlen = 128 };
	/* max(x, 9) * 2 with a label and a comment */
	int rc = asm_lower(&env, "mov $$, $x  // start\n"
	                         "jsge $$, 9, big\n"
	                         "mov $$, 9\n"
	                         "big:\n"
	                         "lsh $$, 1 /* times two */\n");
	CHECK(rc == 0);
	ir_emit_mov(f, 0, res);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	if (geteuid() == 0) {
		CHECK(ran);
		CHECK(r == 18);
	}

	/* errors are diagnostics, not crashes */
	IrFunc *g = ir_func_new(A, "bad");
	AsmEnv e2 = { .f = g, .names = names, .vregs = vregs, .n = 1, .result = res, .maxstringlen = 128 };
	CHECK(asm_lower(&e2, "frobnicate r1, r2") < 0);
	CHECK(asm_lower(&e2, "mov $nope, 1") < 0);
	CHECK(asm_lower(&e2, "ldxw r1, [r2+4") < 0);
	CHECK(asm_lower(&e2, "call not_a_helper") < 0);
	/* parameters belong to the caller */
	CHECK(asm_lower(&e2, "mov $x, 1") < 0);
	CHECK(asm_lower(&e2, "stb [$x+0], 1") < 0);
	CHECK(asm_lower(&e2, "mov $$, nosuchname + 1") < 0);
	CHECK(asm_lower(&e2, "local x") < 0);
	CHECK(asm_lower(&e2, "local t, t") < 0);
	CHECK(asm_lower(&e2, "jeq $$, 0x100000000, out\nout:") < 0);
	CHECK(asm_lower(&e2, "be24 $$") < 0);
	/* no error hook, no guru mode: refused */
	CHECK(asm_lower(&e2, "error \"boom\"") < 0);
	CHECK(asm_lower(&e2, "/* guru */ mov $$, 1") < 0);
	e2.guru = true;
	CHECK(asm_lower(&e2, "/* guru */ mov $$, 1") == 0);
	/* what BPF cannot do is refused with the tapset's own words */
	CHECK(asm_lower(&e2, "refuse \"not here\"") < 0);
	CHECK(asm_lower(&e2, "exit 1") < 0);
	/* scratch wants a local and a sane size */
	CHECK(asm_lower(&e2, "scratch r1, 8") < 0);
	CHECK(asm_lower(&e2, "local p; scratch $p, 0") < 0);
	/* .if keeps only the code for where it runs; what it drops is not read */
	CHECK(asm_lower(&e2, ".if user\nfrobnicate\n.else\nmov $$, 1\n.endif") == 0);
	CHECK(asm_lower(&e2, ".if !kernel\n.if regs\nfrobnicate\n.endif\n.endif") == 0);
	CHECK(asm_lower(&e2, ".if nonsense\n.endif") < 0);
	CHECK(asm_lower(&e2, ".if kernel\nmov $$, 1") < 0);
	CHECK(asm_lower(&e2, ".endif") < 0);
	CHECK(asm_lower(&e2, ".elif user") < 0);
	/* the runtime's constants; no context or read-only data in this env */
	CHECK(asm_lower(&e2, "mov $$, BSTAP_MAXBACKTRACE * 8 + BSTAP_STACK_IPS") == 0);
	CHECK(asm_lower(&e2, "mov $$, BSTAP_NO_SUCH_THING") < 0);
	CHECK(asm_lower(&e2, "mov r1, $ctx") < 0);
	CHECK(asm_lower(&e2, "ldstr r3, \"%s\"") < 0);
	CHECK(asm_lower(&e2, "ldmap r1, nosuchmap") < 0);
	CHECK(asm_lower(&e2, "xadddw r1, r2") < 0);
}

/* Run asm `code` as a function of no parameters returning a long: the
 * result's low 32 bits (the test-run return value), or -1. */
static int scratch_on_stack(void *ctx, int size)
{
	IrFunc *f = ctx;
	int off = ir_stack_alloc(f, size);
	int v = ir_vreg(f);
	ir_emit_mov(f, v, IR_FP);
	ir_emit_alui(f, BPF_ADD, v, off);
	return v;
}

static int raised;
static void count_error(void *ctx, const char *msg)
{
	(void)ctx;
	if (!strcmp(msg, "bad; \"thing\""))
		raised++;
}

static long long run_asm(const char *code, bool *ok)
{
	IrFunc *f = ir_func_new(A, "asm");
	int res = ir_vreg(f);
	ir_emit_movi(f, res, 0);
	AsmEnv env = { .f = f, .result = res, .maxstringlen = 128, .scratch = scratch_on_stack, .ctx = f,
	               .error = count_error };
	*ok = asm_lower(&env, code) == 0;
	if (!*ok)
		return -1;
	ir_emit_mov(f, 0, res);
	ir_emit_exit(f);
	bool ran;
	long long r = run_prog(f, &ran);
	if (geteuid() == 0 && !ran)
		*ok = false;
	return r;
}

#define CHECK_ASM(code, want) do { \
	bool ok_; \
	long long r_ = run_asm(code, &ok_); \
	CHECK(ok_); \
	if (geteuid() == 0) \
		CHECK(r_ == (long long)(int32_t)(want)); \
} while (0)

static void test_asm_operands(void)
{
	/* byte order: big endian swaps on this host, little endian truncates */
	CHECK_ASM("mov $$, 0x1234; be16 $$", 0x3412);
	CHECK_ASM("mov $$, 0x11223344; be32 $$", 0x44332211);
	CHECK_ASM("mov $$, 0x0102030405060708; be64 $$; rsh $$, 32", 0x08070605);
	CHECK_ASM("mov $$, 0x123456789; le32 $$; rsh $$, 16", 0x2345);
	CHECK_ASM("mov $$, 0xabcdef; le16 $$", 0xcdef);
	/* immediates: characters (quotes protect ';' and '#'), maxstringlen */
	CHECK_ASM("mov $$, 'A' + maxstringlen - 1", 65 + 127);
	CHECK_ASM("mov $$, ';'; add $$, '#'", ';' + '#');
	CHECK_ASM("mov $$, '\\n' + '\\x41' + '\\101' + '\\0'", '\n' + 'A' + 'A');
	CHECK_ASM("mov $$, -3 - -5", 2);
	CHECK_ASM("mov $$, 2 + 3 * (4 - 1) * 2", 20);
	CHECK_ASM("mov $$, 7; jeq $$, 7, out; mov $$, 1; out:", 7);
	/* exit leaves the whole handler with r0 */
	CHECK_ASM("mov r0, 5; jeq $$, 0, leave; ja stay; leave: exit; stay: mov $$, 9", 5);
	/* locals survive helper calls; scratch memory is read-write */
	CHECK_ASM("local a, b\n"
	          "mov $a, 40; mov $b, 2\n"
	          "call ktime_get_ns\n"
	          "add $a, $b; mov $$, $a", 42);
	CHECK_ASM("local p\n"
	          "scratch $p, 16\n"
	          "stb [$p+3], 'x'\n"
	          "ldxb $$, [$p + 3]", 'x');
	/* errors go through the hook, message unescaped */
	raised = 0;
	bool ok;
	run_asm("error \"bad; \\\"thing\\\"\"", &ok);
	CHECK(ok);
	CHECK(raised == 1);
	/* BTF offsets and sizes (known relations, not numbers) */
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
		CHECK_ASM("mov $$, offsetof(task_struct, tgid) - offsetof(task_struct, pid)", 4);
		CHECK_ASM("mov $$, sizeof(pid_t)", 4);
		CHECK_ASM("mov $$, offsetof(signal_struct, pids[3]) - offsetof(signal_struct, pids[1])", 16);
		CHECK_ASM("mov $$, offsetof(pid, numbers[1].nr) - offsetof(pid, numbers[0])", 16);
		CHECK_ASM("mov $$, offsetof(cred, euid.val) - offsetof(cred, euid)", 0);
		CHECK(run_asm("mov $$, offsetof(task_struct, no_such_member)", &ok) == -1 && !ok);
		CHECK(run_asm("mov $$, offsetof(no_such_struct, x)", &ok) == -1 && !ok);
		CHECK(run_asm("mov $$, sizeof(task_struct, pid)", &ok) == -1 && !ok);
		CHECK_ASM("mov $$, enumval(PIDTYPE_SID) - enumval(PIDTYPE_PGID)", 1);
		CHECK(run_asm("mov $$, enumval(NO_SUCH_ENUMERATOR)", &ok) == -1 && !ok);
		CHECK_ASM("mov $$, offsetof(signal_struct, pids) + 8 * enumval(PIDTYPE_SID) - "
		          "offsetof(signal_struct, pids[3])", 0);
	}
	/* the runtime's constants, .if (this env is a kernel program), atomic add */
	CHECK_ASM("mov $$, BSTAP_MAXBACKTRACE + BPF_F_USER_STACK", 20 + 256);
	CHECK_ASM(".if kernel\nmov $$, 1\n.if user\nmov $$, 2\n.else\nadd $$, 10\n.endif\n.else\nmov $$, 3\n.endif", 11);
	CHECK_ASM("local p\n"
	          "scratch $p, 8\n"
	          "stdw [$p+0], 5; mov r1, 7\n"
	          "xadddw [$p+0], r1\n"
	          "ldxdw $$, [$p+0]", 12);
	/* ksym: a kernel symbol's address, as root sees them */
	if (geteuid() == 0)
		CHECK_ASM("mov $$, ksym(do_syscall_64); rsh $$, 63", 1);
}

int main(void)
{
	A = arena_new();
	src_init(A);
	diag_init(fopen("/dev/null", "w"));
	test_values_across_calls();
	test_spills();
	test_loop_and_labels();
	test_big_constant();
	test_asm();
	test_asm_operands();
	arena_free(A);
	return unit_done();
}
