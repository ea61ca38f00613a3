// SPDX-License-Identifier: GPL-2.0
/*
 * The test module of kdebug's crash tests: on load it misbehaves as
 * mode= says.
 *   oops   a NULL pointer dereference in crashme_deref()
 *   warn   a WARN in crashme_warn(); the load succeeds
 *   spin   crashme_spin() spins with interrupts off (a hard hang)
 *   lockup crashme_lockup() spins with preemption off (a soft lockup)
 *   hung   the load sleeps uninterruptibly forever (a hung task)
 */
#include <linux/completion.h>
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/preempt.h>

static char *mode = "oops";
module_param(mode, charp, 0444);

struct crashme_thing {
	int pad[4];
	int value;
};

/* Not static, and noipa below: the fault stays in crashme_deref(). */
struct crashme_thing *crashme_nothing;

static noinline __attribute__((__noipa__)) int crashme_deref(struct crashme_thing *t)
{
	return t->value;	/* the NULL dereference */
}

static noinline __attribute__((__noipa__)) void crashme_warn(int v)
{
	WARN(v == 1, "crashme: warned as asked\n");
}

static noinline __attribute__((__noipa__)) void crashme_spin(void)
{
	local_irq_disable();
	for (;;)
		cpu_relax();	/* the hang */
}

static noinline __attribute__((__noipa__)) void crashme_lockup(void)
{
	preempt_disable();
	for (;;)
		cpu_relax();	/* the soft lockup */
}

static DECLARE_COMPLETION(crashme_never);

static int __init crashme_init(void)
{
	pr_info("crashme: mode %s\n", mode);
	if (!strcmp(mode, "oops"))
		return crashme_deref(crashme_nothing);
	if (!strcmp(mode, "warn")) {
		crashme_warn(1);
		return 0;
	}
	if (!strcmp(mode, "spin"))
		crashme_spin();
	if (!strcmp(mode, "lockup"))
		crashme_lockup();
	if (!strcmp(mode, "hung"))
		wait_for_completion(&crashme_never);
	return 0;
}

static void __exit crashme_exit(void)
{
}

module_init(crashme_init);
module_exit(crashme_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdebug crash-test module");
