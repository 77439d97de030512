/**
 * DINO: a student (backbone + DINO head) matches the centred, sharpened output distribution of a
 * teacher (an exponential moving average of the student, cosine momentum schedule to 1) over
 * multi-crop views: 2 global crops (teacher and student) and `localCrops` small crops (student only).
 * Temperatures: student 0.1, teacher 0.04 (optionally warmed up linearly from another value over the
 * first steps); centre momentum 0.9; gradient clipping at norm 3; the head's last layer optionally
 * frozen (its gradients dropped, so the optimiser skips it) for the first steps, as in DINO's first
 * epoch. Crops of one size go through a network as one batch. The teacher is the exported backbone.
 *
 * @module
 */
import { backward, noGrad } from "../../autograd.ts";
import { paramSeed } from "../../nn/init.ts";
import type { Module } from "../../nn/module.ts";
import { zeros } from "../../ops/elementwise.ts";
import { clipGradNorm } from "../../optim/clip.ts";
import { Ema } from "../../optim/ema.ts";
import type { Optimizer } from "../../optim/optimizer.ts";
import type { LrSchedule } from "../../optim/schedule.ts";
import { keep, type Tensor } from "../../tensor.ts";
import { type ArchConfig, type Backbone, buildBackbone } from "../arch.ts";
import { DinoHead } from "../heads.ts";
import type { StepContext, TrainBatch } from "../method.ts";
import { makeOptimizer, makeSchedule, type OptimConfig } from "../optim_config.ts";
import { dinoLoss, updateCenter } from "../ssl_losses.ts";
import { concatViews, MethodBase, uploadImages } from "./base.ts";
import { cosineMomentum, splitRows } from "./byol.ts";

/** Options of {@link DinoMethod}. */
export interface DinoOptions {
  /** The backbone. */
  arch: ArchConfig;
  /** Steps of the run. */
  totalSteps: number;
  /** Prototypes K (default 256). */
  outDim?: number;
  /** Student temperature (default 0.1). */
  studentTemp?: number;
  /** Teacher temperature (default 0.04). */
  teacherTemp?: number;
  /** Teacher temperature at step 0, warmed up linearly to `teacherTemp` (default: `teacherTemp`). */
  warmupTeacherTemp?: number;
  /** Steps of the teacher-temperature warm-up (default 0). */
  warmupTeacherSteps?: number;
  /** Steps during which the head's last layer is not updated (default 0; DINO: one epoch). */
  freezeLastLayerSteps?: number;
  /** Centre momentum (default 0.9). */
  centerMomentum?: number;
  /** Base teacher momentum (default 0.99). */
  momentum?: number;
  /** Gradient-norm clip (default 3; 0 disables). */
  clipGrad?: number;
  /** Optimiser (default AdamW lr 1e-3, weight decay 0.04). */
  optim?: OptimConfig;
}

/**
 * DINO's teacher temperature at `step`: linear from `warmup` to `final` over `warmupSteps`, then `final`.
 *
 * @example
 * ```ts
 * import { teacherTempAt } from "./dino.ts";
 * console.log(teacherTempAt(5, 0.04, 0.07, 10)); // 0.055
 * ```
 */
export function teacherTempAt(step: number, warmup: number, final: number, warmupSteps: number): number {
  if (!(warmupSteps > 0) || step >= warmupSteps) return final;
  return warmup + (final - warmup) * Math.max(0, step) / warmupSteps;
}

/** DINO. */
export class DinoMethod extends MethodBase {
  /** `dino`. */
  readonly name = "dino";
  /** Checkpointed modules by prefix. */
  readonly modules: Readonly<Record<string, Module>>;
  /** The optimiser. */
  readonly optimizer: Optimizer;
  /** The exported backbone. */
  readonly exported: Backbone;
  /** Learning rate by step. */
  protected readonly schedule: LrSchedule;
  /** The centre of the teacher outputs [1, K]. */
  readonly center: Tensor;
  readonly #student: Backbone;
  readonly #headS: DinoHead;
  readonly #headT: DinoHead;
  readonly #ema: Ema;
  readonly #o: Required<Omit<DinoOptions, "arch" | "totalSteps" | "optim" | "warmupTeacherTemp">>;
  readonly #warmupTeacherTemp: number;

  /**
   * Creates the instance.
   *
   * @param o arch, totalSteps, outDim, temperatures, momenta, clipGrad, optim
   * @example
   * ```ts ignore
   * const dino = new DinoMethod({ arch: { name: "resnet_small" }, totalSteps: 500 });
   * ```
   */
  constructor(o: DinoOptions) {
    super();
    const seed = o.arch.seed ?? 0;
    this.#o = {
      outDim: 256,
      studentTemp: 0.1,
      teacherTemp: 0.04,
      centerMomentum: 0.9,
      momentum: 0.99,
      clipGrad: 3,
      warmupTeacherSteps: 0,
      freezeLastLayerSteps: 0,
      ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    } as Required<Omit<DinoOptions, "arch" | "totalSteps" | "optim" | "warmupTeacherTemp">>;
    this.#warmupTeacherTemp = o.warmupTeacherTemp ?? this.#o.teacherTemp;
    this.#student = buildBackbone(o.arch);
    this.exported = buildBackbone(o.arch);
    const head = { inDim: this.#student.featureDim, outDim: this.#o.outDim, bcos: this.#student.bcos };
    this.#headS = new DinoHead({ ...head, seed: paramSeed(seed, "head") });
    this.#headT = new DinoHead({ ...head, seed: paramSeed(seed, "head") });
    this.modules = {
      student: this.#student.module,
      student_head: this.#headS,
      teacher: this.exported.module,
      teacher_head: this.#headT,
    };
    const sParams = [...this.#student.module.parameters(), ...this.#headS.parameters()];
    const tParams = [...this.exported.module.parameters(), ...this.#headT.parameters()];
    this.#ema = new Ema({ params: sParams, shadow: tParams, decay: this.#o.momentum });
    this.center = keep(zeros([1, this.#o.outDim]));
    const optim = o.optim ?? { kind: "adamw", lr: 1e-3, weightDecay: 0.04 };
    this.optimizer = makeOptimizer(sParams, optim);
    this.schedule = makeSchedule(optim, o.totalSteps);
  }

  /** The centre as checkpoint state. */
  stateTensors(): Record<string, Tensor> {
    return { center: this.center };
  }

  /** Records one step. */
  protected run(batch: TrainBatch, ctx: StepContext): Tensor {
    if (batch.views.length < 2) throw new RangeError("DINO needs 2 global crops (and optional local crops)");
    const globals = uploadImages(concatViews(batch.views.slice(0, 2)));
    const student = splitRows(this.#headS.forward(this.#student.embed(globals)), 2);
    const locals = batch.views.slice(2);
    if (locals.length) {
      const xl = uploadImages(concatViews(locals));
      student.push(...splitRows(this.#headS.forward(this.#student.embed(xl)), locals.length));
    }
    const teacher = noGrad(() => splitRows(this.#headT.forward(this.exported.embed(globals)), 2));
    const o = this.#o;
    const teacherTemp = teacherTempAt(ctx.step, this.#warmupTeacherTemp, o.teacherTemp, o.warmupTeacherSteps);
    const loss = dinoLoss(student, teacher, this.center, o.studentTemp, teacherTemp);
    backward(loss);
    if (o.clipGrad > 0) clipGradNorm(this.optimizer.params, o.clipGrad);
    if (ctx.step < o.freezeLastLayerSteps) {
      for (const p of this.#headS.lastLayerParameters()) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.#ema.update(cosineMomentum(this.#o.momentum, ctx.step, ctx.totalSteps));
    updateCenter(this.center, teacher, this.#o.centerMomentum);
    return loss;
  }

  /** Frees modules, optimiser state and extra state. */
  override dispose(): void {
    super.dispose();
    this.center.dispose();
  }
}
