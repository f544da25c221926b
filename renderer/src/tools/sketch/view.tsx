import { type PointerEvent, useEffect, useMemo, useRef, useState } from "react";
import {
  COLORS,
  GRID,
  MAX_POINTS,
  type Stroke,
  WIDTHS,
} from "../../../../core/space/tools/sketch.js";
import type { ToolViewProps } from "../../model/tool-plugin.js";
import { useConfirm } from "../../ui/Confirm.js";
import { useClient } from "../../ui/hooks.js";
import { useAppliedTheme } from "../../ui/theme.js";
import type { SketchModel } from "./model.js";

const COLOR_NAMES: Record<(typeof COLORS)[number], string> = {
  "#1f2d23": "Ink",
  "#c0392b": "Red",
  "#2b7340": "Green",
  "#1d5fd1": "Blue",
  "#a36a00": "Ochre",
  "#7b3fa0": "Violet",
};
const WIDTH_NAMES = ["Fine", "Medium", "Broad"];
/**
 * On the dark board each colour is drawn as its lighter twin, so ink stays
 * visible and red still reads as red: a stroke keeps its meaning, and the
 * stored colour is the same for everyone whatever their theme.
 */
const ON_DARK: Record<string, string> = {
  "#1f2d23": "#e2ebe3",
  "#c0392b": "#ff7b6e",
  "#2b7340": "#6cc585",
  "#1d5fd1": "#8ab4ff",
  "#a36a00": "#e0a93a",
  "#7b3fa0": "#c9a0e8",
};
const shade = (color: string, dark: boolean) => (dark ? (ON_DARK[color] ?? color) : color);
/** The board's shape: the grid is square, the board shows it 16:10 (y is squeezed). */
const ASPECT = 10 / 16;

type Drawn = Pick<Stroke, "color" | "width" | "points">;

function drawStrokes(ctx: CanvasRenderingContext2D, strokes: Drawn[], dark: boolean) {
  const { width, height } = ctx.canvas;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  for (const s of strokes) {
    ctx.strokeStyle = shade(s.color, dark);
    // Widths are in grid units, so a line is as thick on a small screen as on a large one.
    ctx.lineWidth = Math.max(1, (s.width * width) / 1000);
    ctx.beginPath();
    // Points come in x, y pairs (a stroke's record holds an even count; see sketch.ts).
    const at = (i: number) => ((s.points[i] ?? 0) / GRID) * (i % 2 === 0 ? width : height);
    for (let i = 0; i + 1 < s.points.length; i += 2) {
      if (i === 0) ctx.moveTo(at(i), at(i + 1));
      else ctx.lineTo(at(i), at(i + 1));
    }
    // A single point is drawn as a dot.
    if (s.points.length === 2) ctx.lineTo(at(0) + 0.01, at(1));
    ctx.stroke();
  }
}

/**
 * The finished strokes are drawn once into an offscreen canvas (again only
 * when they or the size change); each pointer move then copies that and
 * draws just the stroke in progress, however full the board is.
 */
function paint(
  canvas: HTMLCanvasElement,
  finished: HTMLCanvasElement,
  dark: boolean,
  current?: Drawn,
) {
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(finished, 0, 0);
  if (current) drawStrokes(ctx, [current], dark);
}

function renderFinished(
  finished: HTMLCanvasElement,
  canvas: HTMLCanvasElement,
  all: Stroke[],
  dark: boolean,
) {
  finished.width = canvas.width;
  finished.height = canvas.height;
  const ctx = finished.getContext("2d");
  if (ctx) drawStrokes(ctx, all, dark);
}

/** A whiteboard for the space: each stroke goes out when the pen lifts. */
export function SketchView({ handle, model }: ToolViewProps<SketchModel>) {
  const client = useClient();
  const { dialog: confirmDialog, ask } = useConfirm();
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawing = useRef<Drawn | undefined>(undefined);
  const finished = useMemo(() => document.createElement("canvas"), []);
  const [color, setColor] = useState<(typeof COLORS)[number]>(COLORS[0]);
  const [width, setWidth] = useState<number>(WIDTHS[0]);
  const all = model.strokes();
  const dark = useAppliedTheme() === "dark";
  const darkRef = useRef(dark);
  darkRef.current = dark;
  const mine = all.filter((s) => s.by === client.myUser).length;

  // The canvas keeps its pixels in step with its size on screen (and the display's density).
  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    const resize = () => {
      const ratio = window.devicePixelRatio || 1;
      el.width = Math.round(el.clientWidth * ratio);
      el.height = Math.round(el.clientWidth * ASPECT * ratio);
      renderFinished(finished, el, model.strokes(), darkRef.current);
      paint(el, finished, darkRef.current, drawing.current);
    };
    const observer = new ResizeObserver(resize);
    observer.observe(el);
    resize();
    return () => observer.disconnect();
  }, [model, finished]);

  useEffect(() => {
    const el = canvas.current;
    if (!el) return;
    renderFinished(finished, el, all, dark);
    paint(el, finished, dark, drawing.current);
  }, [all, finished, dark]);

  const point = (e: PointerEvent<HTMLCanvasElement>): [number, number] => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = Math.round(((e.clientX - box.left) / box.width) * GRID);
    const y = Math.round(((e.clientY - box.top) / box.height) * GRID);
    return [Math.max(0, Math.min(GRID, x)), Math.max(0, Math.min(GRID, y))];
  };

  const finish = () => {
    const stroke = drawing.current;
    drawing.current = undefined;
    if (stroke) void client.attempt("Drawing", () => model.draw(stroke));
  };

  const readOnly = !handle.canWrite;
  return (
    <div className="sketch">
      {confirmDialog}
      {!readOnly && (
        <div className="row sketch-tools">
          <fieldset className="answers">
            <legend className="sr-only">Colour</legend>
            {COLORS.map((c) => (
              <button
                key={c}
                type="button"
                className="swatch"
                style={{ background: shade(c, dark) }}
                aria-pressed={color === c}
                aria-label={COLOR_NAMES[c]}
                onClick={() => setColor(c)}
              />
            ))}
          </fieldset>
          <fieldset className="answers">
            <legend className="sr-only">Line</legend>
            {WIDTHS.map((w, i) => (
              <button key={w} type="button" aria-pressed={width === w} onClick={() => setWidth(w)}>
                {WIDTH_NAMES[i]}
              </button>
            ))}
          </fieldset>
          <span className="grow" />
          <button
            type="button"
            disabled={mine === 0}
            onClick={() => void client.attempt("Undoing", () => model.undoStroke())}
          >
            Undo my last stroke
          </button>
          <button
            type="button"
            disabled={all.length === 0}
            onClick={() =>
              ask({
                title: "Clear the sketch?",
                body: "Every stroke on the board is erased, for everyone in this space.",
                action: "Clear sketch",
                run: () => void client.attempt("Clearing the sketch", () => model.clearSketch()),
              })
            }
          >
            Clear
          </button>
        </div>
      )}
      <canvas
        ref={canvas}
        className="board"
        role="img"
        aria-label={`Shared sketch, ${all.length} ${all.length === 1 ? "stroke" : "strokes"}`}
        onPointerDown={(e) => {
          if (readOnly || e.button !== 0) return;
          e.currentTarget.setPointerCapture(e.pointerId);
          drawing.current = { color, width, points: point(e) };
        }}
        onPointerMove={(e) => {
          const stroke = drawing.current;
          if (!stroke) return;
          stroke.points.push(...point(e));
          if (canvas.current) paint(canvas.current, finished, dark, stroke);
          // A long line goes out in pieces, each within what one stroke may hold.
          if (stroke.points.length >= 2 * MAX_POINTS) {
            const last = stroke.points.slice(-2);
            finish();
            drawing.current = { color, width, points: last };
          }
        }}
        onPointerUp={finish}
        onPointerCancel={finish}
      />
      <p className="muted small">
        Draw with a mouse, pen or finger; everyone here sees each stroke once it is finished.
      </p>
    </div>
  );
}
