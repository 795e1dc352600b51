// A deck.gl layer that draws each event as one GL point (a round sprite).
//
// ScatterplotLayer draws an instanced quad per object: four vertices through a long
// shader. Where WebGL runs on the CPU (SwiftShader: headless browsers, virtual machines
// without a GPU) that costs about 1 s per frame for 100,000 events; one vertex per event
// is 3–4 times cheaper and keeps panning and the time slider fluid. It takes the same
// binary attributes (`getPosition`, `getFillColor`) and works with DataFilterExtension
// and picking like any deck.gl layer.
import { Layer, color, picking, project32, type DefaultProps, type LayerProps, type UpdateParameters } from "@deck.gl/core";
import { Model } from "@luma.gl/engine";

const uniformBlock = `\
layout(std140) uniform pointsUniforms {
  float pointSize;
} points;
`;

const pointsUniforms = {
  name: "points",
  vs: uniformBlock,
  fs: uniformBlock,
  uniformTypes: { pointSize: "f32" },
} as const;

const vs = `\
#version 300 es
#define SHADER_NAME event-points-layer-vertex-shader
in vec3 positions;
in vec3 positions64Low;
in vec4 colors;
out vec4 vColor;
void main(void) {
  geometry.worldPosition = positions;
  geometry.uv = vec2(0.0);
  geometry.pickingColor = picking_getPickingColorFromIndex(float(gl_VertexID));
  gl_Position = project_position_to_clipspace(positions, positions64Low, vec3(0.0), geometry.position);
  DECKGL_FILTER_GL_POSITION(gl_Position, geometry);
  vec3 size = vec3(points.pointSize);
  DECKGL_FILTER_SIZE(size, geometry);
  gl_PointSize = size.x;
#ifdef DATAFILTER_TYPE
  if (dataFilter_value == 0.0) {
    gl_PointSize = 0.0;
  }
#endif
  vColor = vec4(colors.rgb, colors.a * layer.opacity);
  DECKGL_FILTER_COLOR(vColor, geometry);
}
`;

const fs = `\
#version 300 es
#define SHADER_NAME event-points-layer-fragment-shader
precision highp float;
in vec4 vColor;
out vec4 fragColor;
void main(void) {
  vec2 d = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(d, d);
  if (r2 > 1.0) {
    discard;
  }
  geometry.uv = d;
  fragColor = vColor;
  // A darker rim keeps neighbouring dots apart.
  fragColor.rgb *= mix(1.0, 0.35, smoothstep(0.45, 1.0, r2));
  DECKGL_FILTER_COLOR(fragColor, geometry);
}
`;

type Color = [number, number, number, number];

export type PointsLayerProps<D = unknown> = LayerProps & {
  data: unknown;
  getPosition?: (d: D) => [number, number];
  getFillColor?: Color | ((d: D) => Color);
  /** Diameter in pixels at zoom 5; grows slowly with the zoom. */
  pointSize?: number;
};

const defaultProps: DefaultProps<PointsLayerProps> = {
  getPosition: { type: "accessor", value: (x: unknown) => (x as { position: [number, number] }).position },
  getFillColor: { type: "accessor", value: [255, 255, 255, 255] },
  pointSize: { type: "number", min: 1, value: 6 },
};

export class PointsLayer<D = unknown> extends Layer<PointsLayerProps<D>> {
  static layerName = "PointsLayer";
  static defaultProps = defaultProps;

  declare state: { model?: Model };

  getShaders(): ReturnType<Layer["getShaders"]> {
    return super.getShaders({ vs, fs, modules: [project32, color, picking, pointsUniforms] });
  }

  initializeState(): void {
    this.getAttributeManager()!.add({
      positions: { size: 3, type: "float64", fp64: this.use64bitPositions(), accessor: "getPosition" },
      colors: { size: 4, type: "unorm8", accessor: "getFillColor", defaultValue: [255, 255, 255, 255] },
    } as never);
  }

  updateState(params: UpdateParameters<this>): void {
    super.updateState(params);
    if (params.changeFlags.extensionsChanged || !this.state.model) {
      this.state.model?.destroy();
      this.state.model = this.getModel();
      this.getAttributeManager()!.invalidateAll();
    }
    this.state.model.setVertexCount(this.getNumInstances());
  }

  draw(): void {
    const model = this.state.model;
    if (!model) return;
    const zoom = this.context.viewport.zoom;
    const base = this.props.pointSize ?? 6;
    const pointSize = Math.min(base * 2, Math.max(base * 0.8, base + (zoom - 5) * 0.7));
    model.shaderInputs.setProps({ points: { pointSize } });
    model.setVertexCount(this.getNumInstances());
    model.draw(this.context.renderPass);
  }

  private getModel(): Model {
    return new Model(this.context.device, {
      ...this.getShaders(),
      id: this.props.id,
      bufferLayout: this.getAttributeManager()!.getBufferLayouts({ isInstanced: false }),
      topology: "point-list",
      vertexCount: 0,
      isInstanced: false,
    });
  }
}
