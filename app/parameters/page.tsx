import type { Metadata } from "next";
import { ParametersView } from "@/components/parameters/ParametersView";

export const metadata: Metadata = { title: "Model parameters" };

export default function ParametersPage() {
  return <ParametersView />;
}
