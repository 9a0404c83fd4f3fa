// Human-readable amounts for error messages.
const MIST_PER_SUI = 1_000_000_000n;

/** 500000000n -> "0.5 SUI", 1000000000n -> "1 SUI". */
export function formatSui(mist: bigint): string {
  const neg = mist < 0n;
  const abs = neg ? -mist : mist;
  const whole = abs / MIST_PER_SUI;
  const frac = (abs % MIST_PER_SUI).toString().padStart(9, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""} SUI`;
}
