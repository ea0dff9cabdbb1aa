/* syscall.h - what syscall.c takes from syscall_table.c: facts about system
 * calls that tracefs does not give. */
#ifndef BSTAP_SYSCALL_H
#define BSTAP_SYSCALL_H

/* The number of the system call whose tracepoints are
 * syscalls:sys_enter_EVENT / sys_exit_EVENT on this architecture, or -1
 * when it is not known (then it is probed at its own tracepoint only). */
int syscall_number(const char *event);

/* SystemTap's name for that call: "pread" for the tracepoints' "pread64";
 * event itself for most. */
const char *syscall_stap_name(const char *event);

/* The format of retstr for that call: 1 decimal, 2 hexadecimal, 3 octal
 * (return_str()'s argument). */
int syscall_result_format(const char *event);

#endif
