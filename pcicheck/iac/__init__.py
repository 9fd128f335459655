"""Infrastructure as code: Checkov runs on Terraform, CloudFormation and Kubernetes sources (Helm and
Kustomize rendered first) in its own environment, and its records become pcicheck results under the
PCI DSS mapping in controls/checkov/mapping.yaml."""
