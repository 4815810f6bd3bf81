"""Campaign Canvas (活动画布内容工坊): every piece of logic, importable, no Streamlit."""
