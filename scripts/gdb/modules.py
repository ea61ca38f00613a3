# SPDX-License-Identifier: GPL-2.0
# kdebug's module symbol loader for gdb (embedded by the Makefile; see
# lib/gdb.c, gdb_write_module_loader()).  Loads the symbols of the modules
# found in the given directories: those already loaded when it runs, without
# their freed .init sections, and each one loaded later with all its sections
# (.init.text too, which the kernel's own loader in 6.1 leaves out) from a
# silent hardware breakpoint on do_init_module, before the module's init
# function runs.
#
# kdebug sets these before this text (a generated prologue):
#   kdebug_mod_dirs      list of directories searched (recursively) for NAME.ko
#   kdebug_mod_scripted  True: each load prints "KDEBUG-MODULE NAME KO";
#                        False: a sentence for a person
import gdb
import os
class KdebugModules(gdb.Breakpoint):
    def __init__(self):
        # A hardware breakpoint: it can be set while the guest still
        # boots (no memory write at a virtual address).
        super().__init__('do_init_module', type=gdb.BP_HARDWARE_BREAKPOINT, internal=True)
        self.silent = True
        self.loaded = {}
    def find_ko(self, name):
        want = name.replace('-', '_')
        for d in kdebug_mod_dirs:
            for root, dirs, files in os.walk(d):
                for f in sorted(files):
                    if f.endswith('.ko') and f[:-3].replace('-', '_') == want:
                        return os.path.join(root, f)
        return None
    def say(self, text):
        os.write(1, (text + '\n').encode())
    def sections(self, mod, live):
        secs = {}
        try:
            attrs = mod['sect_attrs'].dereference()
            for n in range(int(attrs['nsections'])):
                a = attrs['attrs'][n]
                secs[a['battr']['attr']['name'].string()] = int(a['address'])
        except gdb.error:
            pass
        if live:
            secs = {k: v for k, v in secs.items() if not k.startswith('.init')}
        if '.text' not in secs:
            try:
                secs['.text'] = int(mod['core_layout']['base'])
            except gdb.error:
                try:
                    secs['.text'] = int(mod['mem'][0]['base'])
                except gdb.error:
                    pass
        return secs
    def load(self, mod, live):
        name = mod['name'].string()
        ko = self.find_ko(name)
        if not ko:
            return
        secs = self.sections(mod, live)
        text = secs.pop('.text', None)
        if name in self.loaded:
            try:
                gdb.execute('remove-symbol-file ' + self.loaded.pop(name), to_string=True)
            except gdb.error:
                pass
        cmd = 'add-symbol-file ' + ko
        if text:
            cmd += ' 0x%x' % text
        cmd += ''.join(' -s %s 0x%x' % (k, v) for k, v in sorted(secs.items()) if v)
        try:
            gdb.execute(cmd, to_string=True)
        except gdb.error as e:
            self.say('kdebug: cannot load the symbols of module %s: %s' % (name, e))
            return
        self.loaded[name] = ko
        if kdebug_mod_scripted:
            self.say('KDEBUG-MODULE %s %s' % (name, ko))
        else:
            self.say('kdebug: symbols of module %s from %s' % (name, ko))
    def stop(self):
        try:
            self.load(gdb.parse_and_eval('mod'), False)
        except gdb.error as e:
            self.say('kdebug: module symbols: %s' % e)
        return False
    def existing(self):
        head = gdb.parse_and_eval('modules')
        mp = gdb.lookup_type('struct module').pointer()
        off = int(gdb.parse_and_eval('(unsigned long)&((struct module *)0)->list'))
        node = head['next']
        while int(node) != int(head.address):
            mod = gdb.Value(int(node) - off).cast(mp)
            self.load(mod, int(mod['state']) == 0)
            node = node['next']
kdebug_modules = KdebugModules()
try:
    kdebug_modules.existing()
except gdb.error as e:
    kdebug_modules.say('kdebug: cannot list the loaded modules: %s' % e)
