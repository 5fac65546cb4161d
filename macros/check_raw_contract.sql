{#-
    on-run-start: before anything is built, check that every raw table of the contract is there with every
    column the sources declare, in every file, and fail with a message naming the table, the file, the column and
    the expected path. Columns come from the source definitions (models/staging/*/_*__sources.yml), the one place
    that lists them. Every problem is reported at once, not DuckDB's first error.

    Parquet mode, per table:
      1. the folder has Parquet files;
      2. every file is a readable Parquet file: not empty, starting and ending with the Parquet magic bytes
         (a zero-byte, truncated or foreign file is named);
      3. every file has every declared column (a column missing from one file of several is named with the file:
         union_by_name would otherwise fill it with nulls and quarantine the rows under a wrong reason).
    Only when all of this holds is each external source mirrored as a view raw.<table> (dev target:
    <prefix>_raw.<table>), so tools that introspect a relation see the raw columns: a failed check leaves the
    existing warehouse untouched.
    Raw-schema mode (var raw_schema): every declared column of <raw_schema>.<table> is there.
-#}
{% macro check_raw_contract() %}
    {{- return(adapter.dispatch('check_raw_contract', 'empathy_warehouse')()) -}}
{% endmacro %}

{% macro default__check_raw_contract() %}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'compile'] -%}
        {%- set raw_dir = env_var('EMPATHY_RAW_DIR', 'data/demo') -%}
        {%- set raw_schema = var('raw_schema', '') -%}
        {%- set problems = [] -%}
        {%- set contract_sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name)
            | sort(attribute='name') | list -%}
        {%- for node in contract_sources -%}
            {%- set label = "table '" ~ node.name ~ "' (source " ~ node.source_name ~ ")" -%}
            {%- if raw_schema -%}
                {%- set described = run_query("select column_name from (describe select * from "
                    ~ source(node.source_name, node.name) ~ ")") -%}
                {%- set present = described.columns[0].values() | map('lower') | list -%}
                {%- for column in node.columns if column | lower not in present -%}
                    {%- do problems.append(label ~ ": column '" ~ column ~ "' is missing in " ~ raw_schema ~ "."
                        ~ node.name) -%}
                {%- endfor -%}
            {%- else -%}
                {%- set pattern = raw_dir ~ "/" ~ node.name ~ "/*.parquet" -%}
                {%- set files = run_query(
                    "select filename, size, size < 12 or content[1:4] != 'PAR1'::blob or content[-4:] != 'PAR1'::blob"
                    ~ " as is_bad from read_blob('" ~ pattern ~ "') order by filename") -%}
                {%- if files.rows | length == 0 -%}
                    {%- do problems.append(label ~ ": no Parquet files at " ~ pattern) -%}
                {%- endif -%}
                {%- set good_files = [] -%}
                {%- for file in files.rows -%}
                    {%- if file['size'] == 0 -%}
                        {%- do problems.append(label ~ ": file " ~ file['filename'] ~ " is empty (zero bytes); expected "
                            ~ "Parquet files at " ~ pattern) -%}
                    {%- elif file['is_bad'] -%}
                        {%- do problems.append(label ~ ": file " ~ file['filename'] ~ " is not a readable Parquet "
                            ~ "file (truncated or corrupt: no Parquet header or footer); expected Parquet files at "
                            ~ pattern) -%}
                    {%- else -%}
                        {%- do good_files.append(file['filename']) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- if good_files -%}
                    {%- set file_list = "['" ~ good_files | join("', '") ~ "']" -%}
                    {%- set declared = "['" ~ node.columns.keys() | map('lower') | join("', '") ~ "']" -%}
                    {%- set missing = run_query(
                        "with files as (select unnest(" ~ file_list ~ ") as file_name),"
                        ~ " declared as (select unnest(" ~ declared ~ ") as column_name),"
                        ~ " present as (select file_name, lower(name) as column_name from parquet_schema("
                        ~ file_list ~ "))"
                        ~ " select files.file_name, declared.column_name from files cross join declared"
                        ~ " anti join present using (file_name, column_name)"
                        ~ " order by declared.column_name, files.file_name") -%}
                    {%- for row in missing.rows -%}
                        {%- do problems.append(label ~ ": column '" ~ row['column_name'] ~ "' is missing in file "
                            ~ row['file_name']) -%}
                    {%- endfor -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {{ raise_raw_contract_problems(problems) }}
        {%- if not raw_schema -%}
            {%- set view_schema = generate_schema_name('raw', none) -%}
            {%- for node in contract_sources -%}
                {%- do run_query("create schema if not exists " ~ view_schema ~ "; create or replace view "
                    ~ view_schema ~ "." ~ node.name ~ " as select * from " ~ source(node.source_name, node.name)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{% macro raise_raw_contract_problems(problems) %}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "The raw data does not follow the raw contract (docs/raw_contract.md):\n  - "
            ~ problems | join("\n  - ")
            ~ "\nSet EMPATHY_RAW_DIR to the folder that holds one sub-folder of Parquet files per table "
            ~ "(<table>/*.parquet). Nothing was built; the existing warehouse is unchanged."
        ) }}
    {%- endif -%}
{% endmacro %}
