/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmcores: dumping a live VM's memory through QMP (dump-guest-memory, as
 * an ELF core or a kdump-compressed file), reading the VMCOREINFO a dump
 * carries (the kernel release and build ID), and finding the vmlinux that
 * goes with it by GNU build ID.
 *
 * QEMU writes the VMCOREINFO note only when the guest kernel has filled
 * QEMU's `-device vmcoreinfo` (the kernel's fw_cfg driver does it).
 */
#ifndef KDEBUG_VMCORE_H
#define KDEBUG_VMCORE_H

#include <stdbool.h>

#include "util.h"

/* "elf" (the default), "kdump-zlib", "kdump-lzo", "kdump-snappy". */
#define VMCORE_FORMATS "elf, kdump-zlib, kdump-lzo, kdump-snappy"
bool vmcore_format_valid(const char *format);

/*
 * Can FILE be written?  A temporary file is made in its directory and
 * removed.  0, -EISDIR (FILE is a directory), else -errno; why says which.
 * Nothing is left behind.
 */
int vmcore_output_check(const char *file, struct sbuf *why);

/*
 * Dump the memory of the VM whose QMP socket is QMP_PATH into FILE in
 * FORMAT (NULL: "elf").  The format and FILE's directory are checked
 * before QEMU is contacted; QEMU writes a temporary file next to FILE,
 * renamed to FILE when the dump completed and removed otherwise (also when
 * kdebug is interrupted), so no partial FILE is ever left.  PROGRESS (may
 * be NULL) is called about every 100 ms with what QEMU reports.  The VM is
 * left as it was (QEMU stops a running guest during the dump and resumes
 * it; a paused one stays paused).  QMP accepts one client at a time: the
 * connection is held only for the dump.  ELF dumps are made with paging
 * (each PT_LOAD has its virtual and physical address: drgn needs the
 * former), or without when QEMU refuses it; kdump ones without (QEMU
 * cannot do both).
 * 0; -EINVAL (bad format), -EOPNOTSUPP (this QEMU cannot write FORMAT),
 * -EINTR (interrupted), -EIO (QEMU reported a failure), other -errno;
 * why says which.
 */
int vmcore_dump(const char *qmp_path, const char *file, const char *format,
		void (*progress)(unsigned long long done, unsigned long long total, void *arg),
		void *arg, struct sbuf *why);

struct vmcore_info {
	char *path;		/* the file read */
	char *format;		/* "elf", "kdump-zlib", "kdump-lzo", "kdump-snappy", "kdump" */
	char *text;		/* the VMCOREINFO text; NULL when the dump has none */
	char *osrelease;	/* OSRELEASE= (kdump: else the header's release); NULL when unknown */
	char *build_id;		/* BUILD-ID= in lowercase hex; NULL when absent */
	bool flattened;		/* kdump in makedumpfile's flattened form (what QEMU writes) */
};

/*
 * What a vmcore says about itself: from an ELF core, its PT_NOTE note named
 * "VMCOREINFO"; from a kdump-compressed file ("KDUMP   "), the text the
 * sub-header's offset_vmcoreinfo/size_vmcoreinfo point at, also in the
 * flattened form QEMU writes (records of offset, size, data).  Every offset
 * and size is checked against the file (which is untrusted).  0 with *vi
 * filled (text and the fields from it may be NULL: a dump without
 * VMCOREINFO); -ENOEXEC when PATH is not a vmcore, -EBADMSG when it is a
 * damaged one, else -errno; why says which.  *vi untouched on failure.
 */
int vmcore_read_info(const char *path, struct vmcore_info *vi, struct sbuf *why);
void vmcore_info_free(struct vmcore_info *vi);
/* KEY=VALUE of VMCOREINFO text (lines of KEY=VALUE): VALUE malloc'd, or NULL. */
char *vmcore_info_get(const char *text, const char *key);

/*
 * The vmlinux whose GNU build ID is the vmcore's: among HINTS (a
 * NULL-terminated list, may be NULL; checked first), the vmlinux recorded
 * in the crash directories, the running VMs' kernels and the kernel builds
 * kdebug remembers (the last build, the last of each source).  0 and
 * *vmlinux (malloc'd); -ENOENT ("no vmlinux with build ID X found; give it
 * with --vmlinux FILE"), -ENODATA (the vmcore has no build ID); why says
 * which.
 */
int vmcore_find_vmlinux(const struct vmcore_info *vi, const char *const *hints, char **vmlinux,
			struct sbuf *why);

#endif
