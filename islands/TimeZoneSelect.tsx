import { useEffect, useState } from "preact/hooks";

/** Props of {@link TimeZoneSelect}; all serialisable. */
export interface TimeZoneSelectProps {
  /** Form field name. */
  name: string;
  /** The stored IANA zone, or null when the user has not chosen one. */
  value: string | null;
}

function allZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.("timeZone") ?? [];
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

/**
 * A time-zone picker. Rendered on the server with the stored zone (or UTC); in the
 * browser it preselects the device's own zone when none is stored yet, so charts by day
 * match the person's days without them having to find their city in a list.
 */
export default function TimeZoneSelect({ name, value }: TimeZoneSelectProps) {
  const [zone, setZone] = useState(value ?? "UTC");
  const [detected, setDetected] = useState(false);
  useEffect(() => {
    if (value) return;
    const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (browserZone) {
      setZone(browserZone);
      setDetected(true);
    }
  }, [value]);
  const zones = allZones();
  if (!zones.includes(zone)) zones.unshift(zone);
  return (
    <div class="flex flex-col gap-1">
      <label for={`${name}-select`} class="font-medium">Time zone</label>
      <select
        id={`${name}-select`}
        name={name}
        value={zone}
        onChange={(e) => setZone((e.target as HTMLSelectElement).value)}
        class="border border-gray-300 dark:border-gray-600 rounded px-3 py-2 bg-white dark:bg-gray-700"
      >
        {zones.map((z) => <option key={z} value={z}>{z}</option>)}
      </select>
      {detected && (
        <p class="text-sm text-gray-600 dark:text-gray-400" data-testid="tz-detected">
          Detected from your browser — save to keep it.
        </p>
      )}
    </div>
  );
}
