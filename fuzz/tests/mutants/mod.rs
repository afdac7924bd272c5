//! Seeded mutations of the seeds, libFuzzer's simplest moves: flipped bits, overwritten,
//! inserted and deleted bytes, a cut, a repeated chunk, a splice with another seed.

pub struct Mutator {
    state: u64,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Self { state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1 }
    }

    /// xorshift64*: the same inputs on every machine.
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    /// `seed` with one to four mutations.
    pub fn mutant(&mut self, seed: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
        let mut data = seed.to_vec();
        for _ in 0..=self.below(4) {
            let at = self.below(data.len());
            match self.below(7) {
                0 if !data.is_empty() => data[at] ^= 1 << self.below(8),
                1 if !data.is_empty() => data[at] = self.next() as u8,
                2 => {
                    let byte = [0, 0xFF, 0x7F, 0x80][self.below(4)];
                    data.insert(at, byte);
                }
                3 if !data.is_empty() => {
                    let end = (at + 1 + self.below(64)).min(data.len());
                    data.drain(at..end);
                }
                4 => data.truncate(at),
                5 if !data.is_empty() => {
                    let end = (at + 1 + self.below(256)).min(data.len());
                    let chunk = data[at..end].to_vec();
                    let to = self.below(data.len());
                    data.splice(to..to, chunk);
                }
                _ => {
                    let other = &seeds[self.below(seeds.len())];
                    let from = self.below(other.len());
                    data.truncate(at);
                    data.extend_from_slice(&other[from..]);
                }
            }
        }
        data
    }
}
