//! AI infrastructure as code: Terraform resources (SageMaker, Bedrock, Azure OpenAI and
//! Cognitive Services, Azure ML, Vertex AI, GPU node pools), CloudFormation resource
//! types, Bicep and ARM resources, and Kubernetes or Compose workloads that run inference
//! servers (vLLM, TGI, Triton, KServe, Ollama, Ray Serve) or request GPUs. Each resource
//! is an `infrastructure` asset at `file:line`.

use std::sync::OnceLock;

use airm_core::AssetKind;
use regex::Regex;

use super::{line_of, DiscoveredAsset, Sink};

/// Inference-server images: `(substring of the image, server)`.
const SERVERS: &[(&str, &str)] = &[
    ("vllm/vllm-openai", "vLLM"),
    ("/vllm", "vLLM"),
    ("text-generation-inference", "Hugging Face TGI"),
    ("tritonserver", "NVIDIA Triton"),
    ("ollama/ollama", "Ollama"),
    ("localai/localai", "LocalAI"),
    ("kserve/", "KServe"),
    ("rayproject/ray-ml", "Ray"),
    ("ghcr.io/ggerganov/llama.cpp", "llama.cpp server"),
    ("ghcr.io/ggml-org/llama.cpp", "llama.cpp server"),
];

struct Patterns {
    tf: Regex,
    tf_gpu: Regex,
    cfn: Regex,
    bicep: Regex,
    arm: Regex,
    image: Regex,
    kind: Regex,
    gpu_request: Regex,
}

fn patterns() -> Option<&'static Patterns> {
    static P: OnceLock<Option<Patterns>> = OnceLock::new();
    P.get_or_init(|| {
        Some(Patterns {
            tf: Regex::new(r#"(?m)^\s*resource\s+"(aws_sagemaker_[a-z_]+|aws_bedrock[a-z_]*|aws_bedrockagent_[a-z_]+|azurerm_cognitive_[a-z_]+|azurerm_ai_services|azurerm_ai_foundry[a-z_]*|azurerm_machine_learning_[a-z_]+|google_vertex_ai_[a-z_]+|google_ml_engine_model|google_container_node_pool|azurerm_kubernetes_cluster_node_pool|aws_eks_node_group)"\s+"([^"]+)""#).ok()?,
            tf_gpu: Regex::new(r#"(?i)guest_accelerator|gpu|nvidia|accelerator_type|"(?:p[2-5][a-z]*|g[4-6][a-z]*|trn1|inf[12])\.[0-9a-z]+"|standard_n[cdv][0-9]"#).ok()?,
            cfn: Regex::new(r#"(?m)["']?Type["']?\s*:\s*["']?(AWS::(?:SageMaker|Bedrock)::[A-Za-z]+)"#).ok()?,
            bicep: Regex::new(r"(?m)^\s*resource\s+([A-Za-z_]\w*)\s+'(Microsoft\.(?:CognitiveServices|MachineLearningServices)/[A-Za-z/]+)@").ok()?,
            arm: Regex::new(r#""type"\s*:\s*"(Microsoft\.(?:CognitiveServices|MachineLearningServices)/[A-Za-z/]+)""#).ok()?,
            image: Regex::new(r#"(?m)^\s*-?\s*image:\s*["']?([^\s"'#]+)"#).ok()?,
            kind: Regex::new(r"(?m)^kind:\s*(InferenceService|ServingRuntime|ClusterServingRuntime|InferenceGraph|RayService|TrainedModel)\s*$").ok()?,
            gpu_request: Regex::new(r"(?m)^\s*(nvidia\.com/gpu|amd\.com/gpu):\s*").ok()?,
        })
    })
    .as_ref()
}

fn resource(
    sink: &mut Sink,
    path: &str,
    text: &str,
    offset: usize,
    name: String,
    facts: &[(&str, &str)],
) {
    let line = line_of(text.as_bytes(), offset);
    let mut a = DiscoveredAsset::new(AssetKind::Infrastructure, name, format!("{path}:{line}"));
    a.format = Some(
        facts
            .iter()
            .find(|(k, _)| *k == "iac")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default(),
    );
    for (k, v) in facts {
        if *k != "iac" {
            a.facts.insert(
                (*k).to_string(),
                serde_json::Value::String((*v).to_string()),
            );
        }
    }
    sink.assets.push(a);
}

fn service_of(resource_type: &str) -> &'static str {
    let t = resource_type.to_ascii_lowercase();
    if t.contains("sagemaker") {
        "aws-sagemaker"
    } else if t.contains("bedrock") {
        "aws-bedrock"
    } else if t.contains("cognitive") || t.contains("ai_services") || t.contains("ai_foundry") {
        "azure-ai-services"
    } else if t.contains("machine_learning") || t.contains("machinelearning") {
        "azure-machine-learning"
    } else if t.contains("vertex") || t.contains("ml_engine") {
        "vertex-ai"
    } else {
        "gpu-compute"
    }
}

/// Finds AI resources in a configuration file called `name`.
pub fn scan(path: &str, name: &str, text: &str, sink: &mut Sink) {
    let Some(p) = patterns() else { return };
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".tf") {
        for c in p.tf.captures_iter(text) {
            let (Some(ty), Some(id)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let t = ty.as_str();
            if matches!(
                t,
                "google_container_node_pool"
                    | "azurerm_kubernetes_cluster_node_pool"
                    | "aws_eks_node_group"
            ) {
                // A node pool is AI infrastructure only with accelerators.
                let end = text
                    .get(ty.end()..)
                    .and_then(|rest| rest.find("\nresource ").map(|i| ty.end() + i))
                    .unwrap_or(text.len());
                let body = text.get(ty.end()..end).unwrap_or("");
                if !p.tf_gpu.is_match(body) {
                    continue;
                }
            }
            resource(
                sink,
                path,
                text,
                ty.start(),
                format!("{t}.{}", id.as_str()),
                &[
                    ("iac", "terraform"),
                    ("resource_type", t),
                    ("service", service_of(t)),
                ],
            );
        }
        return;
    }
    if lower.ends_with(".bicep") {
        for c in p.bicep.captures_iter(text) {
            let (Some(id), Some(ty)) = (c.get(1), c.get(2)) else {
                continue;
            };
            resource(
                sink,
                path,
                text,
                id.start(),
                format!("{} {}", ty.as_str(), id.as_str()),
                &[
                    ("iac", "bicep"),
                    ("resource_type", ty.as_str()),
                    ("service", service_of(ty.as_str())),
                ],
            );
        }
        return;
    }
    let yaml_or_json = [".yaml", ".yml", ".json"]
        .iter()
        .any(|e| lower.ends_with(e));
    if !yaml_or_json {
        return;
    }
    for (re, iac) in [(&p.cfn, "cloudformation"), (&p.arm, "arm")] {
        for c in re.captures_iter(text) {
            if let Some(ty) = c.get(1) {
                resource(
                    sink,
                    path,
                    text,
                    ty.start(),
                    ty.as_str().to_string(),
                    &[
                        ("iac", iac),
                        ("resource_type", ty.as_str()),
                        ("service", service_of(ty.as_str())),
                    ],
                );
            }
        }
    }
    let iac = if lower.contains("compose") {
        "compose"
    } else {
        "kubernetes"
    };
    for c in p.image.captures_iter(text) {
        let Some(img) = c.get(1) else { continue };
        let il = img.as_str().to_ascii_lowercase();
        if let Some((_, server)) = SERVERS.iter().find(|(s, _)| il.contains(s)) {
            resource(
                sink,
                path,
                text,
                img.start(),
                format!("{server} ({})", img.as_str()),
                &[
                    ("iac", iac),
                    ("inference_server", server),
                    ("image", img.as_str()),
                ],
            );
        }
    }
    for c in p.kind.captures_iter(text) {
        if let Some(k) = c.get(1) {
            let server = if k.as_str() == "RayService" {
                "Ray Serve"
            } else {
                "KServe"
            };
            resource(
                sink,
                path,
                text,
                k.start(),
                format!("{server} {}", k.as_str()),
                &[
                    ("iac", "kubernetes"),
                    ("inference_server", server),
                    ("resource_type", k.as_str()),
                ],
            );
        }
    }
    if let Some(m) = p.gpu_request.captures(text).and_then(|c| c.get(1)) {
        resource(
            sink,
            path,
            text,
            m.start(),
            format!("GPU workload ({})", m.as_str()),
            &[
                ("iac", iac),
                ("resource_type", m.as_str()),
                ("service", "gpu-compute"),
            ],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(name: &str, text: &str) -> Vec<String> {
        let mut sink = Sink::default();
        scan(name, name, text, &mut sink);
        sink.assets.into_iter().map(|a| a.name).collect()
    }

    #[test]
    fn terraform_and_k8s() {
        let tf = "resource \"aws_sagemaker_endpoint\" \"chat\" {\n  name = \"x\"\n}\n\
            resource \"google_container_node_pool\" \"cpu\" {\n  machine_type = \"e2-standard-4\"\n}\n\
            resource \"google_container_node_pool\" \"gpu\" {\n  guest_accelerator {\n    type = \"nvidia-l4\"\n  }\n}\n\
            resource \"aws_s3_bucket\" \"b\" {}\n";
        assert_eq!(
            names("main.tf", tf),
            vec![
                "aws_sagemaker_endpoint.chat",
                "google_container_node_pool.gpu"
            ]
        );
        let k8s = "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: llm\n          image: vllm/vllm-openai:v0.5.0\n          resources:\n            limits:\n              nvidia.com/gpu: 1\n        - name: web\n          image: nginx:1.27\n";
        assert_eq!(
            names("deploy.yaml", k8s),
            vec![
                "vLLM (vllm/vllm-openai:v0.5.0)",
                "GPU workload (nvidia.com/gpu)"
            ]
        );
        assert!(names(
            "docker-compose.yml",
            "services:\n  db:\n    image: postgres:16\n"
        )
        .is_empty());
    }
}
