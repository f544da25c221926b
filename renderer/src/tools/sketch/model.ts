/** The shared sketch of one space: signed strokes, undo of one's own, clearing. */
import {
  addStroke,
  clearSketch,
  draftStroke,
  type Stroke,
  strokes,
  undoStroke,
} from "../../../../core/space/tools/sketch.js";
import { randomId, type SpaceContext } from "../../model/space-context.js";
import type { ToolModel } from "../../model/tool-plugin.js";

export class SketchModel implements ToolModel {
  constructor(private readonly ctx: SpaceContext) {}

  strokes(): Stroke[] {
    return this.ctx.cached("strokes", () => strokes(this.ctx.doc, this.ctx.trust));
  }

  /** A finished stroke (pen down to pen up): one envelope. */
  async draw(stroke: Pick<Stroke, "color" | "width" | "points">): Promise<void> {
    const { by, device } = this.ctx.authored();
    const draft = draftStroke({ ...stroke, id: randomId(), by, device });
    if (!draft) return;
    const signed = await this.ctx.sign("stroke", "", draft);
    await this.ctx.member.space.edit((doc) => addStroke(doc, signed));
  }

  undoStroke(): Promise<void> {
    return this.ctx.member.space.edit((doc) => {
      undoStroke(doc, this.ctx.me.user, this.ctx.trust);
    });
  }

  clearSketch(): Promise<void> {
    return this.ctx.member.space.edit((doc) => clearSketch(doc));
  }

  /** Strokes are not news nor searchable: of the questions asked of every tool, only this. */
  close(): void {
    // Nothing to stop: the sketch holds no timer or listener.
  }
}
