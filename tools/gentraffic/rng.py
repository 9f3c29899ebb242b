"""Deterministic random numbers built only on random.Random.random() and
getrandbits(), the two parts of the random module that Python promises not to
change between versions, so one seed gives the same pcap bytes on any Python 3.8+.
(random.gauss, choice, randrange and friends are not covered by that promise.)"""

import math
import random


class Rng:
    __slots__ = ("_r", "random", "bits", "seed")

    def __init__(self, seed):
        # A str seed is hashed with SHA-512 (seed version 2): stable and independent
        # of PYTHONHASHSEED.
        self.seed = str(seed)
        self._r = random.Random(self.seed)
        self.random = self._r.random
        self.bits = self._r.getrandbits

    def child(self, name):
        """An independent stream named after its parent's seed and `name`, whatever
        the parent has drawn: a role gets the same sources alone as in the mix, and
        adding a part never shifts the others."""
        return Rng(self.seed + "/" + name)

    def uniform(self, a, b):
        return a + (b - a) * self.random()

    def randint(self, a, b):
        """a <= n <= b."""
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq):
        return seq[int(self.random() * len(seq))]

    def weighted(self, pairs):
        """pairs: ((item, weight), ...)."""
        total = sum(w for _, w in pairs)
        x = self.random() * total
        for item, w in pairs:
            x -= w
            if x < 0:
                return item
        return pairs[-1][0]

    def expo(self, mean):
        return -mean * math.log(1.0 - self.random())

    def normal(self, mu=0.0, sigma=1.0):
        # Box-Muller, one value per call (no cached second value: simpler to reason about).
        u1 = 1.0 - self.random()
        u2 = self.random()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def lognormal(self, median, sigma):
        return median * math.exp(sigma * self.normal())

    def jitter(self, mean, cv):
        """mean with a normal spread of cv * mean, never below 5% of the mean."""
        return max(mean * 0.05, mean * (1.0 + cv * self.normal()))

    def bytes(self, n):
        if n <= 0:
            return b""
        return self.bits(8 * n).to_bytes(n, "little")
