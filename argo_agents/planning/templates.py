"""Step templates of the offline planner, one DAG per intent.

Kept apart from the planning logic so a reader can review the plans ARGO makes
without an LLM as data. The ``optimize`` template is ARGO's reference plan
(§3) verbatim; the others add real parallelism where steps do not depend on
each other. Gated intents carry exactly the gated step the Director must
approve, and costs are set so the budget gate (> $100) is exercised by the
integrate, migrate and deploy plans.
"""

from __future__ import annotations

from typing import NamedTuple


class StepSpec(NamedTuple):
    """A step before it is bound to a goal; ``description`` uses {subject} and {target}."""

    action: str
    category: str
    capabilities: tuple[str, ...]
    after: tuple[str, ...]
    duration_s: int
    cost_usd: float
    description: str


S = StepSpec

# fmt: off
TEMPLATES: dict[str, tuple[StepSpec, ...]] = {
    "optimize": (
        S("analyze_performance", "analysis", ("performance_analysis", "profiling"), (), 300, 8.0,
          "Profile {subject} and record baseline metrics{target}"),
        S("identify_bottlenecks", "analysis",
          ("performance_analysis", "pattern_mining", "data_analysis"),
          ("analyze_performance",), 300, 6.0,
          "Identify the bottlenecks that limit {subject} from the profile, the history of "
          "similar steps and known optimisation patterns"),
        S("generate_solutions", "design", ("ideation", "pattern_mining"),
          ("identify_bottlenecks",), 300, 10.0,
          "Generate candidate optimisations for {subject} from known patterns and similar cases"),
        S("implement_optimizations", "implementation", ("software_engineering", "code_analysis"),
          ("generate_solutions",), 300, 45.0,
          "Implement the chosen optimisations of {subject}"),
        S("validate_results", "validation", ("testing", "benchmarking"),
          ("implement_optimizations",), 300, 12.0,
          "Benchmark {subject} against the baseline and confirm the gain{target}"),
    ),
    "research": (
        S("scope_questions", "research", ("research",), (), 180, 3.0,
          "Frame the research questions and success criteria for {subject}"),
        S("review_literature", "research", ("literature_review", "research"),
          ("scope_questions",), 900, 15.0,
          "Review published work, documentation and prior art on {subject}"),
        S("mine_historical_data", "analysis", ("data_analysis", "pattern_mining"),
          ("scope_questions",), 900, 12.0,
          "Mine ARGO's history and patterns for evidence about {subject}"),
        S("synthesize_findings", "research", ("research", "data_analysis"),
          ("review_literature", "mine_historical_data"), 600, 8.0,
          "Synthesize the literature and data findings on {subject} into a comparison"),
        S("write_report", "documentation", ("writing", "documentation"),
          ("synthesize_findings",), 300, 5.0,
          "Write a report on {subject} with recommendations{target}"),
    ),
    "build": (
        S("analyze_requirements", "analysis", ("code_analysis", "research"), (), 600, 6.0,
          "Analyze the requirements and constraints of {subject}"),
        S("design_solution", "design", ("software_engineering", "ideation"),
          ("analyze_requirements",), 900, 15.0,
          "Design the architecture and interfaces of {subject}"),
        S("implement_solution", "implementation", ("software_engineering",),
          ("design_solution",), 2400, 60.0, "Implement {subject} following the design"),
        S("write_tests", "validation", ("testing", "software_engineering"),
          ("design_solution",), 1200, 20.0, "Write automated tests that specify {subject}"),
        S("write_documentation", "documentation", ("documentation", "writing"),
          ("design_solution",), 900, 8.0, "Document how to use and operate {subject}"),
        S("validate_build", "validation", ("testing",),
          ("implement_solution", "write_tests"), 600, 10.0,
          "Run the test suite against {subject} and review the result{target}"),
    ),
    "integrate": (
        S("review_api_contract", "research", ("integration", "research"), (), 600, 5.0,
          "Review the external API contract, limits and auth model for {subject}"),
        S("assess_integration_security", "validation", ("security_review",),
          ("review_api_contract",), 600, 20.0,
          "Assess the security and data-sharing risks of {subject}"),
        S("design_adapter", "design", ("software_engineering", "integration"),
          ("review_api_contract",), 900, 15.0,
          "Design the adapter and failure handling for {subject}"),
        S("connect_external_service", "external_integration",
          ("integration", "software_engineering"),
          ("assess_integration_security", "design_adapter"), 1800, 150.0,
          "Connect to the external service and enable {subject} (paid API usage)"),
        S("validate_integration", "validation", ("testing", "integration"),
          ("connect_external_service",), 900, 20.0,
          "Run end-to-end checks of {subject} against the live service"),
        S("document_integration", "documentation", ("documentation",),
          ("connect_external_service",), 600, 5.0,
          "Document the configuration and runbook of {subject}"),
    ),
    "migrate": (
        S("profile_source_data", "analysis", ("data_analysis", "data_engineering"), (), 600, 10.0,
          "Profile volumes, types and quality of the data in {subject}"),
        S("design_target_schema", "design", ("database_migration", "data_engineering"),
          ("profile_source_data",), 900, 15.0,
          "Design the target schema and mapping for {subject}"),
        S("backup_source_data", "implementation", ("data_engineering", "devops"),
          ("profile_source_data",), 900, 20.0,
          "Take a verified backup before migrating {subject}"),
        S("write_migration_scripts", "implementation",
          ("database_migration", "software_engineering"), ("design_target_schema",), 1200, 40.0,
          "Write idempotent migration scripts for {subject}"),
        S("dry_run_migration", "validation", ("database_migration", "testing"),
          ("write_migration_scripts", "backup_source_data"), 900, 30.0,
          "Dry-run the migration of {subject} on a copy and compare row counts"),
        S("run_data_migration", "data_migration", ("database_migration", "data_engineering"),
          ("dry_run_migration",), 1800, 180.0, "Migrate {subject} in production"),
        S("verify_migrated_data", "validation", ("data_analysis", "testing"),
          ("run_data_migration",), 600, 15.0,
          "Verify counts, checksums and sample records after migrating {subject}"),
    ),
    "deploy": (
        S("review_release_readiness", "analysis", ("code_analysis", "devops"), (), 300, 5.0,
          "Review the changes, configuration and readiness of {subject}"),
        S("run_release_tests", "validation", ("testing",), ("review_release_readiness",), 900,
          25.0, "Run the full regression suite against {subject}"),
        S("scan_release_security", "validation", ("security_review",),
          ("review_release_readiness",), 600, 15.0, "Scan {subject} for vulnerabilities"),
        S("prepare_rollback_plan", "design", ("devops", "deployment"),
          ("review_release_readiness",), 300, 5.0, "Prepare and rehearse a rollback of {subject}"),
        S("deploy_to_production", "production_deployment", ("deployment", "devops"),
          ("run_release_tests", "scan_release_security", "prepare_rollback_plan"), 900, 120.0,
          "Deploy {subject} to production"),
        S("monitor_rollout", "validation", ("devops", "performance_analysis"),
          ("deploy_to_production",), 900, 20.0,
          "Monitor errors and latency of {subject} after the rollout{target}"),
    ),
    "delete": (
        S("inventory_data", "analysis", ("data_analysis", "data_engineering"), (), 600, 10.0,
          "Inventory every store holding {subject} and what depends on it"),
        S("check_retention_rules", "research", ("security_review", "research"), (), 300, 5.0,
          "Check retention and legal-hold rules that apply to {subject}"),
        S("backup_before_deletion", "implementation", ("data_engineering",),
          ("inventory_data",), 600, 20.0, "Take a restorable backup of {subject}"),
        S("delete_data", "data_deletion", ("data_engineering",),
          ("inventory_data", "check_retention_rules", "backup_before_deletion"), 600, 15.0,
          "Delete {subject} from every store"),
        S("verify_deletion", "validation", ("data_analysis", "testing"), ("delete_data",), 300,
          5.0, "Verify the deletion of {subject}: no copies or references remain"),
    ),
    "general": (
        S("clarify_objective", "analysis", ("research",), (), 300, 3.0,
          "Clarify the objective, constraints and done-criteria for: {subject}"),
        S("research_context", "research", ("research", "literature_review"),
          ("clarify_objective",), 600, 10.0,
          "Gather background and similar past work for: {subject}"),
        S("brainstorm_approaches", "design", ("ideation", "creative_design"),
          ("clarify_objective",), 600, 10.0, "Brainstorm and compare approaches for: {subject}"),
        S("execute_approach", "implementation", ("software_engineering", "writing"),
          ("research_context", "brainstorm_approaches"), 1200, 40.0,
          "Carry out the chosen approach for: {subject}"),
        S("review_outcome", "validation", ("data_analysis",), ("execute_approach",), 300, 5.0,
          "Review the outcome against the done-criteria{target} for: {subject}"),
    ),
}
# fmt: on

# The one step of each gated intent the Director must approve; added after the
# main plan when a goal names a second, gated intent ("... and deploy it").
GATED_STEP: dict[str, str] = {
    "integrate": "connect_external_service",
    "migrate": "run_data_migration",
    "deploy": "deploy_to_production",
    "delete": "delete_data",
}

# Steps a strong past pattern may add to a template (see offline.apply_pattern).
# fmt: off
EXTRA_STEPS: tuple[StepSpec, ...] = (
    S("establish_baseline", "analysis", ("benchmarking", "performance_analysis"), (), 300, 6.0,
      "Establish a reproducible benchmark baseline for {subject}"),
    S("security_review", "validation", ("security_review",), (), 600, 15.0,
      "Review the security impact of {subject}"),
    S("load_test", "validation", ("benchmarking", "testing"), (), 900, 20.0,
      "Load-test {subject} under production-like traffic"),
    S("peer_review", "validation", ("code_analysis",), (), 300, 5.0,
      "Peer-review the changes made for {subject}"),
    S("write_report", "documentation", ("writing", "documentation"), (), 300, 5.0,
      "Write a report on {subject}"),
)
# fmt: on

# Every action the offline planner knows, for pattern-guided insertion.
KNOWN_STEPS: dict[str, StepSpec] = {}
for _specs in (*TEMPLATES.values(), EXTRA_STEPS):
    for _spec in _specs:
        KNOWN_STEPS.setdefault(_spec.action, _spec)
