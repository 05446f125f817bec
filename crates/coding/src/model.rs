//! The adaptive models: each predicts the next bit of the text from the bits before it, and learns from the
//! bit once it is known. Encoder and decoder run the same model over the same bits, so they agree on every
//! probability; nothing is fitted ahead of time, so the code length is prequential (Dawid 1984).
//!
//! [`ModelKind::Cm`] is a context-mixing model in the manner of the PAQ family (Mahoney 2005, "Adaptive
//! weighing of context models for lossless data compression"): bytes are coded as 8 binary decisions, most
//! significant bit first; a set of contexts — the previous 1–6 and 8 bytes, the byte-free order 0, bytes 2–3
//! (sparse), the current word and the one or two words before it, the column (bytes since the line feed)
//! with the previous byte and with the shape of the last bytes (each byte's class: lower, upper, space,
//! other), that shape with the previous byte, and the byte the match model predicts — each give two
//! probabilities: an adaptive counter found by hashing (context, bits of the byte so far), and an adaptive
//! map from the last bits seen in that context to a probability (indirect modelling: what usually follows
//! such a history). A match model predicts the byte that followed the last occurrence of the recent 5
//! bytes, with a confidence learnt per match length; logistic mixers (online gradient descent on coding
//! cost, weights chosen by small contexts) combine everything in the stretched domain, a final mixer
//! combines the mixers, and three adaptive probability maps (secondary estimation) correct the result in the
//! contexts of order 1, hashed order 2 and the shape.
//!
//! What was worth most on line-broken prose, beyond the orders and words, was text layout: the column
//! context took book1 from 2.067 to 2.035 bits per byte (where a line ends depends on how long it already
//! is), and the byte-class shape contexts, mixer and map from 2.035 to 2.018.
//! [`ModelKind::Order`] is one adaptive order-n context alone, a baseline.
//!
//! Everything is integer arithmetic (see [`crate::logistic`]), so a code decodes the same on any machine.

use crate::logistic::{squash, Stretch};

/// Which model codes the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelKind {
    /// Context mixing of orders 0–6 and 8, two word contexts and a match model, with secondary estimation.
    Cm,
    /// A single adaptive order-n byte context (n ≤ 8), no mixing: a baseline.
    Order(u8),
}

impl ModelKind {
    /// The name used on the command line and in reports: `cm`, `order0` … `order8`.
    pub fn name(self) -> String {
        match self {
            ModelKind::Cm => "cm".into(),
            ModelKind::Order(n) => format!("order{n}"),
        }
    }

    /// Parses [`ModelKind::name`]'s output.
    pub fn from_name(name: &str) -> Option<ModelKind> {
        if name == "cm" {
            return Some(ModelKind::Cm);
        }
        let n: u8 = name.strip_prefix("order")?.parse().ok()?;
        (n <= 8 && name == format!("order{n}")).then_some(ModelKind::Order(n))
    }

    /// One line saying what the model is, for reports.
    pub fn describe(self) -> String {
        match self {
            ModelKind::Cm => "bitwise context mixing: adaptive counters (direct, and indirect through each context's \
                recent bits) for byte orders 0-6 and 8, a sparse order-2 context, the current word, word pair and \
                word triple, the column (bytes since the line feed) with the previous byte, the column with the \
                shape of the last 4 bytes (lower, upper, space, other), the shape of the last 6 bytes with the \
                previous byte, and the match model's predicted byte; a match model (longest recent repeat); five \
                logistic mixers selected by the partial byte, the previous byte, the match length, the number of \
                known contexts and the shape, a final mixer, and three adaptive probability maps (order 1, \
                hashed order 2, shape)"
                .into(),
            ModelKind::Order(n) => format!("one adaptive order-{n} byte context, bitwise, no mixing"),
        }
    }

    /// Its code in a `.code` file header.
    pub(crate) fn tag(self) -> u8 {
        match self {
            ModelKind::Cm => 0xC0,
            ModelKind::Order(n) => n,
        }
    }

    pub(crate) fn from_tag(tag: u8) -> Option<ModelKind> {
        match tag {
            0xC0 => Some(ModelKind::Cm),
            n if n <= 8 => Some(ModelKind::Order(n)),
            _ => None,
        }
    }
}

/// A counter: 22 bits of probability that the next bit is 1, 10 bits of how often it was updated.
const COUNTER_INIT: u32 = 1 << 31;

/// Adaptation rate 1/(n + 1.5) after n updates, as 16-bit fractions: the running average of what was
/// seen while contexts are young, an exponential average once `n` reaches the limit.
fn rates() -> [u32; 1024] {
    let mut t = [0u32; 1024];
    for (n, r) in t.iter_mut().enumerate() {
        *r = (2 * 65536 / (2 * n as u32 + 3)).max(1);
    }
    t
}

#[inline]
fn update_counter(c: &mut u32, bit: bool, limit: u32, rates: &[u32; 1024]) {
    let n = *c & 1023;
    let p = (*c >> 10) as i64;
    let target = if bit { (1i64 << 22) - 1 } else { 0 };
    let p = p + (((target - p) * rates[n as usize] as i64) >> 16);
    *c = ((p as u32) << 10) | (n + u32::from(n < limit));
}

/// A context's slot: 16 bits of probability that the next bit is 1, 7 bits of the latest bits seen in the
/// context (up to 6, after a leading 1), 8 bits of how often it was updated (up to 255).
const SLOT_INIT: u32 = (1 << 31) | (1 << 8);
const SLOT_LIMIT: u32 = 255;

#[inline]
fn update_slot(c: &mut u32, bit: bool, rates: &[u32; 1024]) {
    let n = *c & 255;
    let h = (*c >> 8) & 127;
    let p = (*c >> 16) as i64;
    let target = if bit { 65535 } else { 0 };
    let p = (p + (((target - p) * rates[n as usize] as i64) >> 16)) as u32;
    let h = if h < 64 { (h << 1) | u32::from(bit) } else { 64 | (((h << 1) | u32::from(bit)) & 63) };
    *c = (p << 16) | (h << 8) | (n + u32::from(n < SLOT_LIMIT));
}

/// 12-bit probability of a slot.
#[inline]
fn slot_p12(c: u32) -> u32 {
    (c >> 20).clamp(1, 4095)
}

/// 12-bit probability of a counter.
#[inline]
fn p12(c: u32) -> u32 {
    (c >> 20).clamp(1, 4095)
}

/// A 64-bit mixing function (a multiply-xorshift finalizer) for context hashes.
#[inline]
fn mix(mut x: u64) -> u64 {
    x ^= x >> 31;
    x = x.wrapping_mul(0x7FB5_D329_728E_A185);
    x ^= x >> 27;
    x = x.wrapping_mul(0x81DA_DEF4_BC2D_D44D);
    x ^ (x >> 33)
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// Counters in buckets of 16 (a check word and the 15 nodes of a nibble's binary tree), found by hashing a
/// context with the nibble's position; two candidate buckets, the less used one replaced on a miss.
#[derive(Debug, Clone)]
struct Buckets {
    t: Vec<u32>,
    mask: usize,
}

impl Buckets {
    fn new(bits: u32) -> Buckets {
        Buckets { t: vec![SLOT_INIT; 16 << bits], mask: (1 << bits) - 1 }
    }

    fn find(&mut self, h: u64) -> usize {
        let check = (h >> 40) as u32 | 1;
        let i = ((h as usize) & self.mask) << 4;
        let j = i ^ 16;
        if self.t[i] == check {
            return i;
        }
        if self.t[j] == check {
            return j;
        }
        let victim = if (self.t[i + 1] & 255) <= (self.t[j + 1] & 255) { i } else { j };
        self.t[victim] = check;
        self.t[victim + 1..victim + 16].fill(SLOT_INIT);
        victim
    }
}

/// A logistic mixer: weights (16.16 fixed point) per selected set, trained to lower the coding cost.
#[derive(Debug, Clone)]
struct Mixer {
    n: usize,
    w: Vec<i32>,
    set: usize,
    pr: i32,
    rate: i32,
}

impl Mixer {
    fn new(n: usize, sets: usize, rate: i32, init: i32) -> Mixer {
        Mixer { n, w: vec![init; n * sets], set: 0, pr: 2048, rate }
    }

    /// The mixed evidence (stretched domain) for `inputs` with weight set `set`.
    fn mix(&mut self, inputs: &[i32], set: usize) -> i32 {
        self.set = set * self.n;
        let w = &self.w[self.set..self.set + self.n];
        let dot: i64 = inputs.iter().zip(w).map(|(&x, &w)| x as i64 * w as i64).sum();
        let x = (dot >> 16).clamp(-2047, 2047) as i32;
        self.pr = squash(x);
        x
    }

    fn update(&mut self, inputs: &[i32], bit: bool) {
        let err = ((i32::from(bit) << 12) - self.pr) * self.rate;
        let w = &mut self.w[self.set..self.set + self.n];
        for (w, &x) in w.iter_mut().zip(inputs) {
            *w = w.saturating_add(((x as i64 * err as i64 + (1 << 13)) >> 14) as i32);
        }
    }
}

/// An adaptive probability map: refines a probability in a context by interpolating between 33 learned
/// values over its stretched range (secondary symbol estimation).
#[derive(Debug, Clone)]
struct Apm {
    t: Vec<u16>,
    at: usize,
}

impl Apm {
    fn new(contexts: usize) -> Apm {
        let row: Vec<u16> = (0..33).map(|j| (squash((j - 16) * 128) * 16) as u16).collect();
        Apm { t: row.repeat(contexts), at: 0 }
    }

    fn refine(&mut self, pr: i32, st: &Stretch, cx: usize) -> i32 {
        let s = st.get(pr as u32) + 2048;
        let (lo, w) = ((s >> 7) as usize, s & 127);
        let i = cx * 33 + lo;
        self.at = if w < 64 { i } else { i + 1 };
        ((self.t[i] as i32 * (128 - w) + self.t[i + 1] as i32 * w) >> 11).clamp(1, 4095)
    }

    fn update(&mut self, bit: bool) {
        let target = if bit { 65535 } else { 0 };
        let v = self.t[self.at] as i32;
        self.t[self.at] = (v + ((target - v) >> 6)) as u16;
    }
}

const CONTEXTS: usize = 16;
const INPUTS: usize = 2 * CONTEXTS + 2;
/// Where the match model's input sits.
const MATCH_INPUT: usize = 2 * CONTEXTS;
const MATCH_MIN: usize = 5;

/// The match model: where the last occurrence of the recent `MATCH_MIN` bytes was followed, and for how long
/// the text has agreed with what followed it.
#[derive(Debug, Clone)]
struct Match {
    table: Vec<u32>,
    ptr: usize,
    len: usize,
    counters: Vec<u32>,
    at: usize,
}

fn length_bucket(len: usize) -> usize {
    if len < 16 {
        len
    } else {
        (16 + (usize::BITS - 1 - len.leading_zeros()) as usize - 4).min(31)
    }
}

/// A predictor of the next bit.
#[derive(Debug, Clone)]
pub struct Model {
    kind: ModelKind,
    st: Stretch,
    rates: [u32; 1024],
    buckets: Buckets,
    /// Context hashes at the last byte boundary.
    hashes: [u64; CONTEXTS],
    /// Bucket of each context for the current nibble.
    base: [usize; CONTEXTS],
    used: usize,
    inputs: [i32; INPUTS],
    /// Per context, adaptive probabilities of a 1 after each history of recent bits (indirect modelling).
    histories: Vec<u32>,
    history_at: [usize; CONTEXTS],
    history: Vec<u8>,
    /// The partial byte with a leading 1 (1 at a byte boundary).
    c0: u32,
    /// The node within the nibble's tree (1..15).
    nib: usize,
    bit: u32,
    /// The last 8 bytes.
    c8: u64,
    word: u64,
    word1: u64,
    word2: u64,
    /// Bytes since the last line feed.
    column: u64,
    /// Classes of the last bytes, 2 bits each (lower, upper, space, other).
    shape: u64,
    matcher: Match,
    mixers: [Mixer; 5],
    dots: [i32; 5],
    last: Mixer,
    apm2: Apm,
    apm3: Apm,
    apm4: Apm,
    pr_mix: i32,
    pr: u32,
}

impl Model {
    /// A fresh model for a text of `len` bytes (the size sets the hash tables', so coder and decoder, both
    /// knowing the length, build the same model).
    pub fn new(kind: ModelKind, len: u64) -> Model {
        let want = (len.saturating_mul(8)).max(1 << 10).next_power_of_two();
        let bits = want.trailing_zeros().min(22);
        let used = match kind {
            ModelKind::Cm => CONTEXTS,
            ModelKind::Order(_) => 1,
        };
        let match_bits = (len.max(1 << 10).next_power_of_two().trailing_zeros()).min(22);
        let mut m = Model {
            kind,
            st: Stretch::new(),
            rates: rates(),
            buckets: Buckets::new(bits),
            hashes: [0; CONTEXTS],
            base: [0; CONTEXTS],
            used,
            inputs: [0; INPUTS],
            histories: vec![COUNTER_INIT; CONTEXTS * 128],
            history_at: [0; CONTEXTS],
            history: Vec::with_capacity(len.min(1 << 24) as usize),
            c0: 1,
            nib: 1,
            bit: 0,
            c8: 0,
            word: 0,
            word1: 0,
            word2: 0,
            column: 0,
            shape: 0,
            matcher: Match { table: vec![0; 1 << match_bits], ptr: 0, len: 0, counters: vec![COUNTER_INIT; 64], at: 0 },
            mixers: [
                Mixer::new(INPUTS, 256, 3, 1 << 13),
                Mixer::new(INPUTS, 256 * 8, 3, 1 << 13),
                Mixer::new(INPUTS, 32 * 8, 3, 1 << 13),
                Mixer::new(INPUTS, (CONTEXTS + 1) * 8, 3, 1 << 13),
                Mixer::new(INPUTS, 256 * 8, 3, 1 << 13),
            ],
            dots: [0; 5],
            last: Mixer::new(6, 256, 1, 13107),
            apm2: Apm::new(1 << 16),
            apm3: Apm::new(1 << 18),
            apm4: Apm::new(1 << 16),
            pr_mix: 2048,
            pr: 1 << 15,
        };
        m.byte_contexts();
        m.nibble_buckets();
        m.predict();
        m
    }

    /// Bytes of memory the model's tables take.
    pub fn memory_bytes(&self) -> u64 {
        let mixers: usize = self.mixers.iter().map(|m| m.w.len()).sum::<usize>() + self.last.w.len();
        (self.buckets.t.len() * 4
            + self.matcher.table.len() * 4
            + mixers * 4
            + (self.apm2.t.len() + self.apm3.t.len() + self.apm4.t.len()) * 2) as u64
    }

    /// The probability that the next bit is 1, in units of 2⁻¹⁶.
    #[inline]
    pub fn p1(&self) -> u32 {
        self.pr
    }

    fn byte_contexts(&mut self) {
        match self.kind {
            ModelKind::Order(n) => {
                let v = if n == 0 {
                    0
                } else if n >= 8 {
                    self.c8
                } else {
                    self.c8 & ((1u64 << (8 * n)) - 1)
                };
                self.hashes[0] = mix(v.wrapping_add(GOLDEN.wrapping_mul(n as u64 + 1)));
            }
            ModelKind::Cm => {
                for (i, n) in [0u32, 1, 2, 3, 4, 5, 6, 8].into_iter().enumerate() {
                    let v = if n == 0 {
                        0
                    } else if n >= 8 {
                        self.c8
                    } else {
                        self.c8 & ((1u64 << (8 * n)) - 1)
                    };
                    self.hashes[i] = mix(v.wrapping_add(GOLDEN.wrapping_mul(i as u64 + 1)));
                }
                self.hashes[8] = mix(self.word.wrapping_add(GOLDEN.wrapping_mul(9)));
                self.hashes[9] = mix((self.word ^ mix(self.word1)).wrapping_add(GOLDEN.wrapping_mul(10)));
                self.hashes[10] = mix((self.c8 & 0xFFFF00).wrapping_add(GOLDEN.wrapping_mul(11)));
                self.hashes[11] =
                    mix((self.word ^ mix(self.word1 ^ mix(self.word2))).wrapping_add(GOLDEN.wrapping_mul(12)));
                let m = &self.matcher;
                let expected = if m.len > 0 {
                    self.history[m.ptr] as u64 | ((length_bucket(m.len) as u64) << 8) | 1 << 16
                } else {
                    0
                };
                self.hashes[12] = mix(expected.wrapping_add(GOLDEN.wrapping_mul(13)));
                let column = self.column.min(255) | (self.c8 & 0xFF) << 8;
                self.hashes[13] = mix(column.wrapping_add(GOLDEN.wrapping_mul(14)));
                let shape = (self.shape & 0xFFF) | (self.c8 & 0xFF) << 16;
                self.hashes[14] = mix(shape.wrapping_add(GOLDEN.wrapping_mul(15)));
                let after = self.column.min(127) | (self.shape & 0xFF) << 8;
                self.hashes[15] = mix(after.wrapping_add(GOLDEN.wrapping_mul(16)));
            }
        }
    }

    fn nibble_buckets(&mut self) {
        let salt = if self.bit == 0 { 0 } else { mix((self.c0 as u64).wrapping_mul(GOLDEN)) };
        for i in 0..self.used {
            self.base[i] = self.buckets.find(self.hashes[i] ^ salt);
        }
    }

    fn predict(&mut self) {
        if let ModelKind::Order(_) = self.kind {
            let c = self.buckets.t[self.base[0] + self.nib];
            // The same bound as the mixed model's (1 − 2⁻¹²), which bounds how much text a code can claim.
            self.pr = (c >> 16).clamp(16, 65520);
            return;
        }
        let mut known = 0;
        for i in 0..CONTEXTS {
            let slot = self.buckets.t[self.base[i] + self.nib];
            known += usize::from(slot & 255 > 0);
            self.inputs[2 * i] = self.st.get(slot_p12(slot));
            let at = i * 128 + ((slot >> 8) & 127) as usize;
            self.history_at[i] = at;
            self.inputs[2 * i + 1] = self.st.get(p12(self.histories[at]));
        }
        // The match model's opinion, if the predicted byte still agrees with the bits so far.
        let m = &mut self.matcher;
        self.inputs[MATCH_INPUT] = 0;
        let mut mbucket = 0;
        if m.len > 0 {
            let expected = self.history[m.ptr] as u32 | 256;
            if expected >> (8 - self.bit) == self.c0 {
                let ebit = (expected >> (7 - self.bit)) & 1;
                mbucket = length_bucket(m.len);
                m.at = mbucket * 2 + ebit as usize;
                self.inputs[MATCH_INPUT] = self.st.get(p12(m.counters[m.at]));
            } else {
                m.len = 0;
            }
        }
        self.inputs[MATCH_INPUT + 1] = 256;
        let c1 = (self.c8 & 0xFF) as usize;
        self.dots[0] = self.mixers[0].mix(&self.inputs, self.c0 as usize);
        self.dots[1] = self.mixers[1].mix(&self.inputs, c1 * 8 + self.bit as usize);
        self.dots[2] = self.mixers[2].mix(&self.inputs, mbucket * 8 + self.bit as usize);
        self.dots[3] = self.mixers[3].mix(&self.inputs, known * 8 + self.bit as usize);
        self.dots[4] = self.mixers[4].mix(&self.inputs, (self.shape & 255) as usize * 8 + self.bit as usize);
        let second = [self.dots[0], self.dots[1], self.dots[2], self.dots[3], self.dots[4], 256];
        self.last.mix(&second, self.c0 as usize);
        let pr = self.last.pr.clamp(1, 4095);
        self.pr_mix = pr;
        let a2 = self.apm2.refine(pr, &self.st, self.c0 as usize | (c1 << 8));
        let c2 = ((self.c8 >> 8) & 0xFF) as usize;
        let h2 = ((c1 * 0x2F0B + c2 * 0x9E37 + (c1 ^ c2)) >> 2) & 0x3FF;
        let a3 = self.apm3.refine(pr, &self.st, self.c0 as usize | (h2 << 8));
        let a4 = self.apm4.refine(pr, &self.st, self.c0 as usize | ((self.shape & 0xFF) as usize) << 8);
        let p = (pr + a2 + a3 + a4 + 2) >> 2;
        self.pr = ((p.clamp(1, 4095) as u32) << 4).clamp(1, 65535);
    }

    /// Learns `bit`, the bit that followed, and predicts the next one.
    pub fn update(&mut self, bit: bool) {
        for i in 0..self.used {
            update_slot(&mut self.buckets.t[self.base[i] + self.nib], bit, &self.rates);
        }
        if self.kind == ModelKind::Cm {
            for i in 0..CONTEXTS {
                update_counter(&mut self.histories[self.history_at[i]], bit, 1023, &self.rates);
            }
            if self.matcher.len > 0 {
                update_counter(&mut self.matcher.counters[self.matcher.at], bit, 1023, &self.rates);
            }
            for m in &mut self.mixers {
                m.update(&self.inputs, bit);
            }
            let second = [self.dots[0], self.dots[1], self.dots[2], self.dots[3], self.dots[4], 256];
            self.last.update(&second, bit);
            self.apm2.update(bit);
            self.apm3.update(bit);
            self.apm4.update(bit);
        }
        self.c0 = (self.c0 << 1) | u32::from(bit);
        self.nib = (self.nib << 1) | usize::from(bit);
        self.bit += 1;
        if self.bit == 8 {
            let byte = (self.c0 & 0xFF) as u8;
            self.end_byte(byte);
            self.c0 = 1;
            self.bit = 0;
            self.nib = 1;
            self.byte_contexts();
            self.nibble_buckets();
        } else if self.bit == 4 {
            self.nib = 1;
            self.nibble_buckets();
        }
        self.predict();
    }

    fn end_byte(&mut self, byte: u8) {
        self.history.push(byte);
        self.c8 = (self.c8 << 8) | byte as u64;
        self.column = if byte == b'\n' { 0 } else { self.column + 1 };
        let class = if byte.is_ascii_lowercase() {
            0
        } else if byte.is_ascii_uppercase() {
            1
        } else if byte == b' ' {
            2
        } else {
            3
        };
        self.shape = (self.shape << 2) | class;
        if byte.is_ascii_alphabetic() {
            self.word = (self.word ^ byte.to_ascii_lowercase() as u64).wrapping_mul(0x100_0000_01B3).wrapping_add(1);
        } else if self.word != 0 {
            self.word2 = self.word1;
            self.word1 = self.word;
            self.word = 0;
        }
        if self.kind != ModelKind::Cm {
            return;
        }
        let m = &mut self.matcher;
        let pos = self.history.len();
        if m.len > 0 && self.history[m.ptr] == byte {
            m.len = (m.len + 1).min(65535);
            m.ptr += 1;
        } else {
            m.len = 0;
        }
        if pos >= MATCH_MIN {
            let h = (mix(self.c8 & ((1u64 << (8 * MATCH_MIN)) - 1)) as usize) & (m.table.len() - 1);
            if m.len == 0 {
                let cand = m.table[h] as usize;
                if cand > 0 {
                    let len = (1..=pos.min(cand).min(400))
                        .take_while(|&k| self.history[cand - k] == self.history[pos - k])
                        .count();
                    if len >= MATCH_MIN {
                        m.len = len;
                        m.ptr = cand;
                    }
                }
            }
            m.table[h] = pos as u32;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in [ModelKind::Cm, ModelKind::Order(0), ModelKind::Order(8)] {
            assert_eq!(ModelKind::from_name(&k.name()), Some(k));
            assert_eq!(ModelKind::from_tag(k.tag()), Some(k));
        }
        for bad in ["", "order9", "order", "order01", "CM", "order-1"] {
            assert_eq!(ModelKind::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn counters_average_while_young() {
        let r = rates();
        let mut c = COUNTER_INIT;
        update_counter(&mut c, true, 255, &r);
        // 1/2 + (1 − 1/2)/1.5 = 5/6.
        assert!(((c >> 10) as f64 / (1u64 << 22) as f64 - 5.0 / 6.0).abs() < 1e-3);
        assert_eq!(c & 1023, 1);
    }

    #[test]
    fn learns_a_constant_stream() {
        let mut m = Model::new(ModelKind::Cm, 4000);
        for _ in 0..4000 * 8 {
            m.update(true);
        }
        assert!(m.p1() > 65000, "{}", m.p1());
    }
}
