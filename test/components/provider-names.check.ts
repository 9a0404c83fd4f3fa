// Checked by the compiler only (test/foundation/typecheck.test.ts): the forwarding provider takes
// only the names the bundled runtime exports, so a misspelt provider is a build error, not a
// failure in the engine's provider process at `up`.
import { forwardingProvider } from "../../src/components/provider-runtime";

export function providerNamesAreChecked(): void {
  forwardingProvider("stakeProvider");
  forwardingProvider("rolloutGateProvider");
  // @ts-expect-error a name the runtime does not export
  forwardingProvider("stakeProvder");
  // @ts-expect-error an export of the runtime that is not a provider
  forwardingProvider("UnreachableHostError");
}
