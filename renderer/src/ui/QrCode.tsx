/** A QR code drawn as SVG rectangles from the qrcode library's module matrix (no markup strings). */
import QRCode from "qrcode";

export function QrCode({ text, label }: { text: string; label: string }) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const size = modules.size;
  let path = "";
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) if (modules.get(x, y)) path += `M${x + 2} ${y + 2}h1v1h-1z`;
  }
  return (
    <svg className="qr" viewBox={`0 0 ${size + 4} ${size + 4}`} role="img" aria-label={label}>
      <rect width={size + 4} height={size + 4} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
