/**
 * Kernel timestamps are CLOCK_BOOTTIME nanoseconds (bpf_ktime_get_boot_ns); records carry UTC
 * RFC 3339 with nanoseconds. realtime = boottime + (REALTIME − BOOTTIME), the offset sampled from
 * clock_gettime. The offset is resampled but only replaced when it moved by more than `slackNs`
 * (a wall-clock step), so jitter between the two clock reads never makes timestamps go backwards.
 */

export interface ClockSample {
  bootSec: number;
  bootNsec: number;
  realSec: number;
  realNsec: number;
}

const NS = 1_000_000_000;
const TWO32 = 4294967296;

export class BootClock {
  private offSec = 0;
  private offNsec = 0; // 0 ≤ offNsec < 1e9
  private cachedSec = Number.NaN;
  private cachedPrefix = '';

  constructor(
    private readonly sample: () => ClockSample,
    private readonly slackNs = 1_000_000,
  ) {
    this.resample(true);
  }

  /** Fixed offset, for tests and for decoding files whose offset is known. */
  static fixed(offsetSec: number, offsetNsec = 0): BootClock {
    return new BootClock(() => ({ bootSec: 0, bootNsec: 0, realSec: offsetSec, realNsec: offsetNsec }));
  }

  resample(force = false): void {
    const s = this.sample();
    let sec = s.realSec - s.bootSec;
    let nsec = s.realNsec - s.bootNsec;
    if (nsec < 0) {
      nsec += NS;
      sec -= 1;
    }
    if (!force) {
      const delta = (sec - this.offSec) * NS + (nsec - this.offNsec);
      if (Math.abs(delta) <= this.slackNs) return;
    }
    this.offSec = sec;
    this.offNsec = nsec;
  }

  /** Boot-time ns at (hi, lo) 32-bit halves → "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ". */
  formatBoot(hi: number, lo: number): string {
    let sec: number;
    let nsec: number;
    if (hi < 0x200000) {
      const total = hi * TWO32 + lo;
      sec = Math.floor(total / NS);
      nsec = total - sec * NS;
      if (nsec < 0) {
        sec -= 1;
        nsec += NS;
      } else if (nsec >= NS) {
        sec += 1;
        nsec -= NS;
      }
    } else {
      const total = (BigInt(hi) << 32n) | BigInt(lo);
      sec = Number(total / 1_000_000_000n);
      nsec = Number(total % 1_000_000_000n);
    }
    sec += this.offSec;
    nsec += this.offNsec;
    if (nsec >= NS) {
      nsec -= NS;
      sec += 1;
    }
    if (sec !== this.cachedSec) {
      this.cachedSec = sec;
      this.cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19) + '.';
    }
    return this.cachedPrefix + String(nsec).padStart(9, '0') + 'Z';
  }

  /** Boot-time ns given as a number or decimal string (e.g. armed_boot_ns from the state file). */
  formatBootValue(ns: number | string | bigint): string {
    const b = BigInt(ns);
    return this.formatBoot(Number(b >> 32n), Number(b & 0xffffffffn));
  }
}
