/**
 * The soak's attackers in a process of their own, as attackers are other
 * machines: their work must not slow the honest clients' event loop, which
 * would show up as relay latency. Started by bench/soak.ts with
 *   <relay url> <victim hex> <honest device hex> [only,...]
 * it attacks until its stdin closes, then prints what it tried as JSON.
 */
import { fromHex } from "../core/crypto/bytes.js";
import { HostileTraffic } from "./soak-hostile.js";

const [url, victim, honest, only] = process.argv.slice(2);
if (!url || !victim || !honest) {
  console.error("usage: soak-attacker <relay url> <victim hex> <honest hex> [only,...]");
  process.exit(2);
}
const hostile = new HostileTraffic(url, fromHex(victim), fromHex(honest));
hostile.start(only ? only.split(",") : []);
process.stdin.resume();
process.stdin.once("end", () => {
  void hostile.stop().then((attempts) => {
    process.stdout.write(`${JSON.stringify(attempts)}\n`);
    process.exit(0);
  });
});
