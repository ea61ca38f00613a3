// SPDX-License-Identifier: GPL-2.0
/* The test module of kdebug's module tests: prints on load and unload. */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>

static int hello_value = 42;

static int __init hello_init(void)
{
	pr_info("kdebug-hello: init, value %d\n", hello_value);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("kdebug-hello: exit\n");
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kdebug test module");
