/**
 * A gradswarm model as an ONNX graph that onnxruntime (or any ONNX runtime) runs with the same
 * outputs:
 *   input [N, n_0] ─ Sub(offset) ─ Mul(factor) ─┐   (only when the model stores a scaling)
 *   for each layer l: Gemm(a, W_l, b_l, transB=1) ─ activation (Sigmoid | Tanh | Relu |
 *   swish as Mul(z, Sigmoid(z)); the output layer: Softmax(axis=1) | Sigmoid | Identity)
 *   ─ output "probabilities" [N, n_L]
 * Weights go in as float32 initializers (raw little-endian bytes, so every bit is kept); the
 * class names, if the model has them, go in the metadata as "class_names" (JSON).
 * Opset 17 and IR version 8: supported by onnxruntime since 1.13 and by onnx since 1.12.
 */
import { layerLayouts, type HiddenActivation, type Model, type OutputActivation } from '@gradswarm/core';
import { ModelProto, ONNX_ATTRIBUTE, ONNX_FLOAT } from './onnx-schema.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;
/** Names of the graph's input and output. */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'probabilities';

interface NodeSpec {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute?: { name: string; type: number; i?: number; f?: number }[];
}

function tensor(name: string, dims: number[], values: Float32Array) {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return { name, dims, dataType: ONNX_FLOAT, rawData: bytes };
}

function valueInfo(name: string, columns: number) {
  return {
    name,
    type: { tensorType: { elemType: ONNX_FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: columns }] } } },
  };
}

function activationNodes(
  activation: HiddenActivation | OutputActivation,
  z: string,
  out: string,
  tag: string,
): NodeSpec[] {
  switch (activation) {
    case 'sigmoid':
      return [{ input: [z], output: [out], name: `${tag}_sigmoid`, opType: 'Sigmoid' }];
    case 'tanh':
      return [{ input: [z], output: [out], name: `${tag}_tanh`, opType: 'Tanh' }];
    case 'relu':
      return [{ input: [z], output: [out], name: `${tag}_relu`, opType: 'Relu' }];
    case 'swish':
      return [
        { input: [z], output: [`${z}_sigmoid`], name: `${tag}_swish_sigmoid`, opType: 'Sigmoid' },
        { input: [z, `${z}_sigmoid`], output: [out], name: `${tag}_swish`, opType: 'Mul' },
      ];
    case 'softmax':
      return [
        {
          input: [z],
          output: [out],
          name: `${tag}_softmax`,
          opType: 'Softmax',
          attribute: [{ name: 'axis', type: ONNX_ATTRIBUTE.INT, i: 1 }],
        },
      ];
    case 'identity':
      return [{ input: [z], output: [out], name: `${tag}_identity`, opType: 'Identity' }];
  }
}

/** The ONNX ModelProto of `model` as a plain object (before encoding). */
export function onnxModelObject(model: Model, producerVersion = '0.1.0') {
  const { spec, params } = model;
  const nodes: NodeSpec[] = [];
  const initializers: ReturnType<typeof tensor>[] = [];
  let a = ONNX_INPUT;
  if (model.scaling) {
    const s = model.scaling;
    initializers.push(
      tensor('scaling_offset', [spec.layers[0]], Float32Array.from(s.offset)),
      tensor('scaling_factor', [spec.layers[0]], Float32Array.from(s.factor)),
    );
    nodes.push(
      { input: [a, 'scaling_offset'], output: ['input_centred'], name: 'scaling_sub', opType: 'Sub' },
      { input: ['input_centred', 'scaling_factor'], output: ['input_scaled'], name: 'scaling_mul', opType: 'Mul' },
    );
    a = 'input_scaled';
  }
  const layouts = layerLayouts(spec.layers);
  layouts.forEach(({ rows, cols, offset }, l) => {
    // gradswarm stores [b | W] row-major; ONNX Gemm takes W [nOut, nIn] (transB=1) and b [nOut].
    const W = new Float32Array(rows * (cols - 1));
    const b = new Float32Array(rows);
    for (let r = 0; r < rows; r++) {
      b[r] = params[offset + r * cols];
      W.set(params.subarray(offset + r * cols + 1, offset + (r + 1) * cols), r * (cols - 1));
    }
    const tag = `layer${l + 1}`;
    initializers.push(tensor(`${tag}_W`, [rows, cols - 1], W), tensor(`${tag}_b`, [rows], b));
    nodes.push({
      input: [a, `${tag}_W`, `${tag}_b`],
      output: [`${tag}_z`],
      name: `${tag}_gemm`,
      opType: 'Gemm',
      attribute: [{ name: 'transB', type: ONNX_ATTRIBUTE.INT, i: 1 }],
    });
    const last = l === layouts.length - 1;
    const out = last ? ONNX_OUTPUT : `${tag}_a`;
    nodes.push(...activationNodes(last ? spec.output : spec.hidden, `${tag}_z`, out, tag));
    a = out;
  });
  return {
    irVersion: ONNX_IR_VERSION,
    producerName: 'gradswarm',
    producerVersion,
    modelVersion: 1,
    docString: `gradswarm MLP ${spec.layers.join('-')}, hidden ${spec.hidden}, output ${spec.output}${model.scaling ? `, ${model.scaling.kind} input scaling` : ''}`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    metadataProps: model.classNames ? [{ key: 'class_names', value: JSON.stringify(model.classNames) }] : [],
    graph: {
      name: 'gradswarm_mlp',
      node: nodes,
      initializer: initializers,
      input: [valueInfo(ONNX_INPUT, spec.layers[0])],
      output: [valueInfo(ONNX_OUTPUT, spec.layers[spec.layers.length - 1])],
    },
  };
}

/** The ONNX file bytes (a serialised ModelProto) of `model`. */
export function modelToOnnx(model: Model, producerVersion?: string): Uint8Array {
  const object = onnxModelObject(model, producerVersion);
  const message = ModelProto.fromObject(object);
  return ModelProto.encode(message).finish();
}
