import type { Metadata } from "next";
import { FleetOverview } from "@/components/fleet/FleetOverview";

// The root segment shares the layout, so the title template does not apply here.
export const metadata: Metadata = { title: { absolute: "Fleet · Fleetlens" } };

export default function FleetOverviewPage() {
  return <FleetOverview />;
}
