from . import einvoice
from . import main
from . import wechatpay
from . import wechatpay_jsapi
from . import alipay
