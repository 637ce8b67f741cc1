//! A test-only ELF core writer: header, program headers, notes and memory segments, in either class and
//! byte order. It writes offsets given by the tests (from the layout reference, docs/core-layouts.md), never
//! the decoders' structures, so one mistaken layout cannot agree with itself.

/// One core being written.
pub struct CoreWriter {
    is_64: bool,
    big: bool,
    machine: u16,
    osabi: u8,
    notes: Vec<(Vec<u8>, u32, Vec<u8>)>,
    loads: Vec<(u64, Vec<u8>, u64, u32)>,
}

/// `PF_X`, `PF_W`, `PF_R`.
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

impl CoreWriter {
    /// A core of `e_machine` `machine`, ELFCLASS64 when `is_64`, big-endian when `big`.
    pub fn new(is_64: bool, big: bool, machine: u16) -> Self {
        CoreWriter {
            is_64,
            big,
            machine,
            osabi: 0,
            notes: Vec::new(),
            loads: Vec::new(),
        }
    }

    /// Sets `EI_OSABI` (9 FreeBSD, 2 NetBSD, 6 Solaris).
    pub fn osabi(mut self, osabi: u8) -> Self {
        self.osabi = osabi;
        self
    }

    /// Adds a note.
    pub fn note(&mut self, owner: &str, n_type: u32, desc: Vec<u8>) {
        self.notes.push((owner.as_bytes().to_vec(), n_type, desc));
    }

    /// Adds a `PT_LOAD` of `memsz` bytes at `vaddr` whose first `bytes.len()` bytes are in the file.
    pub fn load(&mut self, vaddr: u64, bytes: Vec<u8>, memsz: u64, flags: u32) {
        self.loads.push((vaddr, bytes, memsz, flags));
    }

    /// A buffer of `len` zero bytes to fill with [`CoreWriter::put`].
    pub fn zeroed(len: usize) -> Vec<u8> {
        vec![0; len]
    }

    /// Writes `value` as `width` bytes at `off` of `buf`, in this core's byte order.
    pub fn put(&self, buf: &mut [u8], off: usize, width: usize, value: u64) {
        put(buf, off, width, value, self.big);
    }

    /// The file.
    pub fn build(&self) -> Vec<u8> {
        let (ehsize, phentsize) = if self.is_64 { (64, 56) } else { (52, 32) };
        let phnum = 1 + self.loads.len();
        let mut notes = Vec::new();
        for (name, t, desc) in &self.notes {
            let mut h = [0u8; 12];
            put(&mut h, 0, 4, name.len() as u64 + 1, self.big);
            put(&mut h, 4, 4, desc.len() as u64, self.big);
            put(&mut h, 8, 4, u64::from(*t), self.big);
            notes.extend_from_slice(&h);
            notes.extend_from_slice(name);
            notes.push(0);
            pad4(&mut notes);
            notes.extend_from_slice(desc);
            pad4(&mut notes);
        }
        let notes_at = ehsize + phentsize * phnum;
        let mut data_at = notes_at + notes.len();
        data_at = data_at.div_ceil(16) * 16;
        let mut out = vec![0u8; data_at];
        // e_ident
        out[..4].copy_from_slice(b"\x7fELF");
        out[4] = if self.is_64 { 2 } else { 1 };
        out[5] = if self.big { 2 } else { 1 };
        out[6] = 1;
        out[7] = self.osabi;
        let b = self.big;
        put(&mut out, 16, 2, 4, b); // ET_CORE
        put(&mut out, 18, 2, u64::from(self.machine), b);
        put(&mut out, 20, 4, 1, b);
        if self.is_64 {
            put(&mut out, 32, 8, ehsize as u64, b);
            put(&mut out, 52, 2, ehsize as u64, b);
            put(&mut out, 54, 2, phentsize as u64, b);
            put(&mut out, 56, 2, phnum as u64, b);
        } else {
            put(&mut out, 28, 4, ehsize as u64, b);
            put(&mut out, 40, 2, ehsize as u64, b);
            put(&mut out, 42, 2, phentsize as u64, b);
            put(&mut out, 44, 2, phnum as u64, b);
        }
        let mut phdrs = vec![(4u32, notes_at as u64, 0u64, notes.len() as u64, 0u64, 0u32)];
        let mut file_at = data_at as u64;
        for (vaddr, bytes, memsz, flags) in &self.loads {
            phdrs.push((1, file_at, *vaddr, bytes.len() as u64, *memsz, *flags));
            file_at += bytes.len() as u64;
        }
        for (i, (ty, off, vaddr, filesz, memsz, flags)) in phdrs.into_iter().enumerate() {
            let at = ehsize + i * phentsize;
            put(&mut out, at, 4, u64::from(ty), b);
            if self.is_64 {
                put(&mut out, at + 4, 4, u64::from(flags), b);
                put(&mut out, at + 8, 8, off, b);
                put(&mut out, at + 16, 8, vaddr, b);
                put(&mut out, at + 32, 8, filesz, b);
                put(&mut out, at + 40, 8, memsz, b);
                put(&mut out, at + 48, 8, if ty == 4 { 4 } else { 4096 }, b);
            } else {
                put(&mut out, at + 4, 4, off, b);
                put(&mut out, at + 8, 4, vaddr, b);
                put(&mut out, at + 16, 4, filesz, b);
                put(&mut out, at + 20, 4, memsz, b);
                put(&mut out, at + 24, 4, u64::from(flags), b);
                put(&mut out, at + 28, 4, if ty == 4 { 4 } else { 4096 }, b);
            }
        }
        out[notes_at..notes_at + notes.len()].copy_from_slice(&notes);
        for (_, bytes, _, _) in &self.loads {
            out.extend_from_slice(bytes);
        }
        out
    }
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

/// Writes `value` as `width` bytes at `off` of `buf`, big-endian when `big`.
pub fn put(buf: &mut [u8], off: usize, width: usize, value: u64, big: bool) {
    let bytes = if big {
        value.to_be_bytes()[8 - width..].to_vec()
    } else {
        value.to_le_bytes()[..width].to_vec()
    };
    buf[off..off + width].copy_from_slice(&bytes);
}

/// A Linux-style initial stack at `base` (`create_elf_tables()`): argc, argv[], NULL, envp[], NULL,
/// auxv pairs (with `extra_auxv` first and `AT_EXECFN` pointing at argv[0]'s string), AT_NULL, then the
/// strings. Returns the bytes and the auxv as it lies on the stack (the `NT_AUXV` copy).
pub fn linux_stack(
    base: u64,
    word: usize,
    big: bool,
    argv: &[&str],
    env: &[&str],
    extra_auxv: &[(u64, u64)],
) -> (Vec<u8>, Vec<u8>) {
    let strings_at = 1 + argv.len() + 1 + env.len() + 1 + 2 * (extra_auxv.len() + 2);
    let mut strings = Vec::new();
    let mut ptrs = Vec::new();
    let first_string = base + (strings_at * word) as u64;
    for s in argv.iter().chain(env) {
        ptrs.push(first_string + strings.len() as u64);
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
    }
    let mut words: Vec<u64> = vec![argv.len() as u64];
    words.extend(&ptrs[..argv.len()]);
    words.push(0);
    words.extend(&ptrs[argv.len()..]);
    words.push(0);
    let auxv_start = words.len();
    for &(t, v) in extra_auxv {
        words.extend([t, v]);
    }
    words.extend([31, ptrs[0]]); // AT_EXECFN
    words.extend([0, 0]);
    let mut bytes = vec![0u8; words.len() * word];
    for (i, w) in words.iter().enumerate() {
        put(&mut bytes, i * word, word, *w, big);
    }
    let auxv = bytes[auxv_start * word..].to_vec();
    bytes.extend_from_slice(&strings);
    while bytes.len() % 4096 != 0 {
        bytes.push(0);
    }
    (bytes, auxv)
}
