from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0002_login_actions'),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('login', '登录'), ('view_person', '查看人员信息'), ('reveal', '查看完整敏感信息'), ('create', '新建'), ('change', '修改'), ('import', '导入台账'), ('export', '导出'), ('api_read', '接口读取'), ('retention_erase', '到期删除'), ('request_transition', '审核流转'), ('denied', '越权访问被拒绝'), ('login_failed', '登录失败'), ('lockout', '登录失败过多被锁定'), ('unlock', '解除登录锁定')], db_index=True, max_length=24, verbose_name='动作'),
        ),
    ]
