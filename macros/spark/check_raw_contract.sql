{#-
    The raw contract check on Apache Spark (docs/decisions.md D36): the same checks as default__check_raw_contract,
    with Spark's own file reader, and then the raw tables as views raw.<table> (the sources' schema) over the
    Parquet files, which dbt-spark has no external sources for.
      1. every table folder <EMPATHY_RAW_DIR>/<table>/ has Parquet files (one listing of the raw folder with
         Spark's binaryFile reader);
      2. every file is a readable Parquet file: not empty, starting and ending with the Parquet magic bytes;
      3. every file has every declared column (DESCRIBE QUERY of the file).
    The view is the union by name of the table's files, like DuckDB's read_parquet(..., union_by_name = true): a
    column missing from a file is null there, and a column whose type differs between files (a timestamp in one
    delivery, an ISO-8601 string in another) is read as a string from every file; the stg_ models type it.
    Raw-schema mode (var raw_schema): every declared column of <raw_schema>.<table> is there.
-#}
{% macro spark__check_raw_contract() %}
    {%- if execute and flags.WHICH in ['build', 'run', 'test', 'seed', 'compile'] -%}
        {%- set raw_dir = env_var('EMPATHY_RAW_DIR', 'data/demo') -%}
        {%- set raw_schema = var('raw_schema', '') -%}
        {%- set problems = [] -%}
        {%- set contract_sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name)
            | sort(attribute='name') | list -%}
        {%- if raw_schema -%}
            {%- for node in contract_sources -%}
                {%- set described = run_query("describe table " ~ raw_schema ~ "." ~ node.name) -%}
                {%- set present = described.columns[0].values() | map('lower') | list -%}
                {%- for column in node.columns if column | lower not in present -%}
                    {%- do problems.append("table '" ~ node.name ~ "' (source " ~ node.source_name ~ "): column '"
                        ~ column ~ "' is missing in " ~ raw_schema ~ "." ~ node.name) -%}
                {%- endfor -%}
            {%- endfor -%}
            {{ raise_raw_contract_problems(problems) }}
        {%- else -%}
            {%- set listing = run_query(
                "select path, length, regexp_extract(path, '/([^/]+)/[^/]+$', 1) as table_name,"
                ~ " length < 12 or substr(content, 1, 4) != X'50415231' or substr(content, -4) != X'50415231' as is_bad"
                ~ " from binaryFile.`" ~ raw_dir ~ "/*/*.parquet` order by path") -%}
            {%- set views = {} -%}
            {%- for node in contract_sources -%}
                {%- set label = "table '" ~ node.name ~ "' (source " ~ node.source_name ~ ")" -%}
                {%- set pattern = raw_dir ~ "/" ~ node.name ~ "/*.parquet" -%}
                {%- set files = listing.rows | selectattr('table_name', 'equalto', node.name) | list -%}
                {%- if files | length == 0 -%}
                    {%- do problems.append(label ~ ": no Parquet files at " ~ pattern) -%}
                {%- endif -%}
                {%- set file_columns = [] -%}
                {%- for file in files -%}
                    {%- if file['length'] == 0 -%}
                        {%- do problems.append(label ~ ": file " ~ file['path'] ~ " is empty (zero bytes); expected "
                            ~ "Parquet files at " ~ pattern) -%}
                    {%- elif file['is_bad'] -%}
                        {%- do problems.append(label ~ ": file " ~ file['path'] ~ " is not a readable Parquet "
                            ~ "file (truncated or corrupt: no Parquet header or footer); expected Parquet files at "
                            ~ pattern) -%}
                    {%- else -%}
                        {%- set described = run_query("describe query select * from parquet.`" ~ file['path'] ~ "`") -%}
                        {%- set types = {} -%}
                        {%- for row in described.rows -%}
                            {%- do types.update({row[0] | lower: row[1]}) -%}
                        {%- endfor -%}
                        {%- for column in node.columns if column | lower not in types -%}
                            {%- do problems.append(label ~ ": column '" ~ column | lower ~ "' is missing in file "
                                ~ file['path']) -%}
                        {%- endfor -%}
                        {%- do file_columns.append((file['path'], types)) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- do views.update({node.name: file_columns}) -%}
            {%- endfor -%}
            {{ raise_raw_contract_problems(problems) }}
            {%- do run_query("create schema if not exists raw") -%}
            {%- for table_name, file_columns in views.items() -%}
                {%- do run_query("create or replace view raw." ~ table_name ~ " as "
                    ~ spark_union_by_name(file_columns)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    select 1
{% endmacro %}

{#- The union by name of Parquet files: file_columns is a list of (path, {column: type}). A column takes its type
    where every file that has it agrees, a string otherwise; a file without the column gives null. -#}
{% macro spark_union_by_name(file_columns) -%}
    {%- set column_types = {} -%}
    {%- for path, types in file_columns -%}
        {%- for column, data_type in types.items() -%}
            {%- if column not in column_types -%}
                {%- do column_types.update({column: data_type}) -%}
            {%- elif column_types[column] != data_type -%}
                {%- do column_types.update({column: 'string'}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- for path, types in file_columns -%}
        {%- set expressions = [] -%}
        {%- for column, data_type in column_types.items() -%}
            {%- if column not in types -%}
                {%- do expressions.append("cast(null as " ~ data_type ~ ") as `" ~ column ~ "`") -%}
            {%- elif types[column] != data_type -%}
                {%- do expressions.append("cast(`" ~ column ~ "` as string) as `" ~ column ~ "`") -%}
            {%- else -%}
                {%- do expressions.append("`" ~ column ~ "`") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do selects.append("select " ~ expressions | join(", ") ~ " from parquet.`" ~ path ~ "`") -%}
    {%- endfor -%}
    {{- selects | join(" union all ") -}}
{%- endmacro %}
