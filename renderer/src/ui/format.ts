/**
 * The one clock format of the app, the user's locale's ("14:05", or "2:05 PM" where
 * 12-hour clocks are the custom): messages, events and lists all read alike.
 */
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });

export function clockTime(d: Date): string {
  return CLOCK.format(d);
}

/** A wall-clock "HH:MM" (as time inputs give it) in the locale's format. */
export function wallClock(hhmm: string): string {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return clockTime(new Date(2000, 0, 1, h, m));
}

/** Short, local time for a message: "14:05", or "Mon 14:05" / "3 Nov" when older. */
export function shortTime(at: number, now = Date.now()): string {
  const d = new Date(at);
  const time = clockTime(d);
  const age = now - at;
  if (age < 20 * 3600_000 && new Date(now).getDate() === d.getDate()) return time;
  if (age < 6 * 86400_000)
    return `${d.toLocaleDateString(undefined, { weekday: "short" })} ${time}`;
  return d.toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

/** A day as date inputs and tool records name it ("YYYY-MM-DD"), in this device's time zone. */
export function localDay(d = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** "just now", "5 min ago", "3 h ago", or a date. */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return "just now";
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(at).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

export function bytesPerSecond(bps: number | undefined): string {
  if (bps === undefined) return "not measured yet";
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} MB/s`;
  if (bps >= 1e3) return `${(bps / 1e3).toFixed(0)} kB/s`;
  return `${Math.round(bps)} B/s`;
}

/** A file size as people read it: "820 B", "14 kB", "3.2 MB". */
export function byteSize(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}

/** Safety numbers in groups of five, as people read them out. */
export function groups(digits: string): string[] {
  return digits.replace(/\s+/g, "").match(/.{1,5}/g) ?? [];
}
