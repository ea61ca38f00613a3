// SPDX-License-Identifier: GPL-2.0
/*
 * lib/vmcore.c's reader of vmcores (the file is untrusted: a guest's
 * memory, a file someone handed over): the VMCOREINFO of an ELF core
 * (PT_NOTE, through libelf) or of a kdump-compressed file, plain or
 * flattened; and the crash directory's meta.json reader on the same bytes.
 */
#include <errno.h>

#include "crashdir.h"
#include "fuzz.h"
#include "vmcore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf why = SBUF_INIT;
	struct vmcore_info vi;
	char path[64];
	int fd = fuzz_memfd(data, size, path);
	int r = vmcore_read_info(path, &vi, &why);

	fuzz_assert(r == 0 || why.len > 0);
	if (r == 0) {
		fuzz_assert(vi.format && vi.path);
		if (vi.build_id)
			fuzz_assert(strspn(vi.build_id, "0123456789abcdef") == strlen(vi.build_id));
		if (vi.text) {
			char *v = vmcore_info_get(vi.text, "PAGESIZE");
			free(v);
		}
		vmcore_info_free(&vi);
	}
	sbuf_release(&why);
	close(fd);
	return 0;
}
