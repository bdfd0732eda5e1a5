"use client";
/**
 * The drawing of a sparkline: one line over time, no axes or grid, a dot on the latest point.
 * Loaded lazily by TrendSparkline (Recharts stays out of the page's first bundle); decorative: the
 * text alternative lives on TrendSparkline's wrapper.
 */
import { Line, LineChart, XAxis, YAxis } from "recharts";

export interface SparklineChartProps {
  points: { t: number; value: number | null }[];
  width: number;
  height: number;
  color: string;
}

export default function SparklineChart({ points, width, height, color }: SparklineChartProps) {
  const last = points.findLastIndex((p) => p.value !== null);
  return (
    <LineChart width={width} height={height} data={points} margin={{ top: 3, right: 3, bottom: 3, left: 3 }} accessibilityLayer={false}>
      <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} hide />
      <YAxis type="number" domain={["dataMin", "dataMax"]} hide />
      <Line
        type="linear"
        dataKey="value"
        stroke={color}
        strokeWidth={1.5}
        connectNulls
        isAnimationActive={false}
        activeDot={false}
        dot={(props: { cx?: number; cy?: number; index?: number }) =>
          props.index === last && props.cx !== undefined && props.cy !== undefined ? (
            <circle key="last" cx={props.cx} cy={props.cy} r={2.5} fill={color} stroke="none" />
          ) : (
            <g key={`p${props.index ?? 0}`} />
          )
        }
      />
    </LineChart>
  );
}
