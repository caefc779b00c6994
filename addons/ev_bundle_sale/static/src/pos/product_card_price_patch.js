import { patch } from "@web/core/utils/patch";
import { usePos } from "@point_of_sale/app/store/pos_hook";
import { ProductCard } from "@point_of_sale/app/generic_components/product_card/product_card";

patch(ProductCard.prototype, {
    setup() {
        super.setup(...arguments);
        this.pos = usePos();
    },

    /**
     * Odoo's tiles show no price; a dealer's cashier reads the price on the tile. A vehicle model's tile sells its
     * bundle (vehicle + battery + charger), so it shows the bundle's price. Only the product screen's tiles (those
     * with the info button): a combo's choices keep Odoo's "+ extra" price.
     */
    get evTilePrice() {
        const product = this.props.product;
        if (!this.props.productInfo || !product || !this.pos?.getProductPriceFormatted) {
            return "";
        }
        const bundle = product.ev_role === "vehicle" && product.ev_is_bundle_entry && this.evBundleOf(product);
        return this.pos.getProductPriceFormatted(bundle || product);
    },

    evBundleOf(vehicle) {
        return this.pos.models["product.product"].getAll().find(
            (product) =>
                product.type === "combo" &&
                product.combo_ids?.[0]?.combo_item_ids?.some((item) => item.product_id?.id === vehicle.id)
        );
    },
});
